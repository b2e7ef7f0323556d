-- cancelRun: cancels a running run. Waiting tasks are cancelled; running ones finish but release nothing.
--
-- KEYS[1] run meta hash     KEYS[2] run tasks hash   KEYS[3] run results hash
-- KEYS[4] shard deadlines   KEYS[5] shard stats
-- ARGV[1] runId  ARGV[2] now  ARGV[3] reason ('' = none)
-- ARGV[4] token of this call ('' = none): sent again (its reply was lost), it answers as the first
--         time, with the tasks it cancelled
--
-- Returns JSON CancelResult: { ok: true, cancelled: string[], run: RunOutcome }
-- or { ok: false, reason: not_found | run_ended | compensating, cancelled: [] } (compensating also
-- while the run is failing: its saga is about to start).
--- @include "includes/keys"
--- @include "includes/engine"

local meta = redis.call('HMGET', KEYS[1], 'status', 'failing')
local status = meta[1]
local function refuse(reason)
  return jsonObject({ 'ok', 'false', 'reason', cjson.encode(reason), 'cancelled', '[]' })
end
if not status then return refuse('not_found') end
-- Failing: a task failed for good and the saga starts once its running siblings end. Cancelling
-- now would end the run without compensating what completed.
if status == 'compensating' or (status == 'running' and meta[2] == '1') then return refuse('compensating') end
local ctx = runContextFromKeys(ARGV[1], tonumber(ARGV[2]))
ctx.token = ARGV[4] or ''
if status ~= 'running' then
  if status ~= 'cancelled' or ctx.token == '' or redis.call('HGET', ctx.meta, 'by') ~= ctx.token then
    return refuse('run_ended')
  end
  local cancelled = {}
  for _, name in ipairs(runOrder(ctx)) do
    if taskGet(ctx, name, 'state') == 'cancelled' then cancelled[#cancelled + 1] = name end
  end
  return jsonObject({ 'ok', 'true', 'cancelled', jsonStrings(cancelled), 'run', runOutcome(ctx, 'cancelled') })
end

local cancelled = {}
for _, name in ipairs(runOrder(ctx)) do
  local state = taskGet(ctx, name, 'state')
  if state == 'pending' or state == 'queued' then
    moveTask(ctx, name, 'cancelled')
    taskSet(ctx, name, 'endedAt', ctx.now)
    clearDeadline(ctx, name)
    cancelled[#cancelled + 1] = name
  end
end
if ARGV[3] ~= '' then redis.call('HSET', ctx.meta, 'error', ARGV[3]) end
local outcome = endRun(ctx, 'cancelled')
return jsonObject({ 'ok', 'true', 'cancelled', jsonStrings(cancelled), 'run', outcome })
