-- leaseAttempt: starts an attempt (execute) or a compensation attempt under a lease.
--
-- KEYS[1] run meta hash     KEYS[2] run tasks hash   KEYS[3] run results hash
-- KEYS[4] shard deadlines   KEYS[5] shard stats
-- ARGV[1] runId  ARGV[2] task  ARGV[3] attempt  ARGV[4] phase  ARGV[5] workerId  ARGV[6] now  ARGV[7] leaseMs
-- ARGV[8] lease token ('' = none): kept on the task; the same lease asked again answers as the first
--         time (its reply was lost), not `busy`
--
-- Returns JSON LeaseResult: { ok: true, workflow, input, deps, result?, meta, attempt, runCreatedAt }
-- or { ok: false, reason: not_found | run_ended | busy | stale }; run_ended and stale also carry the
-- task's state and its attempt of the asked phase.
-- Execute: queued -> running. Compensate: the compensating task is marked leased. Deadline = now + leaseMs.
--- @include "includes/keys"
--- @include "includes/replay"

local runId, name, attempt, phase = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local now = tonumber(ARGV[6])
-- Everything the reply needs from the run and the task, in two reads.
local run = redis.call('HMGET', KEYS[1], 'status', 'workflow', 'input', 'meta', 'createdAt')
local status = run[1]
if not status then return refusal('not_found') end
local ctx = runContextFromKeys(runId, now)
local token = ARGV[8] or ''
if phase == 'execute' then
  taskPrefetch(ctx, name, 'state', 'attempt', 'priority', 'deps')
else
  taskPrefetch(ctx, name, 'state', 'cattempt', 'cleased', 'deps')
end
local state = taskGet(ctx, name, 'state')
if not state then return refusal('not_found') end
-- The attempt already ended, or never will: where the task is instead.
local function ended(reason)
  local current = taskGet(ctx, name, phase == 'execute' and 'attempt' or 'cattempt')
  return jsonObject({
    'ok', 'false', 'reason', cjson.encode(reason), 'state', cjson.encode(state), 'attempt', tostring(tonumber(current) or 0),
  })
end
if isTerminalRun(status) then return ended('run_ended') end

if phase == 'execute' then
  if tonumber(taskGet(ctx, name, 'attempt')) ~= attempt then return ended('stale') end
  if state == 'running' then
    if not sameLease(ctx, name, token) then return refusal('busy') end
  elseif state ~= 'queued' then
    return ended('stale')
  else
    moveTask(ctx, name, 'running', 'workerId', ARGV[5], 'startedAt', ARGV[6], 'lease', token)
  end
else
  if state ~= 'compensating' or tonumber(taskGet(ctx, name, 'cattempt')) ~= attempt then return ended('stale') end
  if taskGet(ctx, name, 'cleased') == '1' then
    if not sameLease(ctx, name, token) then return refusal('busy') end
  else
    taskSet(ctx, name, 'cleased', 1, 'workerId', ARGV[5], 'startedAt', ARGV[6], 'lease', token)
  end
end
setDeadline(ctx, name, now + tonumber(ARGV[7]))

local depNames = cjson.decode(taskGet(ctx, name, 'deps'))
local deps = {}
if #depNames > 0 then
  local values = redis.call('HMGET', ctx.results, unpack(depNames))
  for i, dep in ipairs(depNames) do
    deps[#deps + 1] = dep
    deps[#deps + 1] = values[i] or 'null'
  end
end
local fields = {
  'ok', 'true', 'workflow', cjson.encode(run[2]), 'input', run[3], 'deps', jsonObject(deps),
  'meta', run[4], 'attempt', tostring(attempt), 'runCreatedAt', run[5],
}
if phase == 'compensate' then
  fields[#fields + 1] = 'result'
  fields[#fields + 1] = redis.call('HGET', ctx.results, name) or 'null'
end
return jsonObject(fields)
