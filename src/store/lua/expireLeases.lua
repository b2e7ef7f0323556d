-- expireLeases: the sweeper, for one shard. Handles deadline entries with score <= now, oldest first.
--
-- KEYS[1] shard deadlines zset (member runId|task)   KEYS[2] shard stats hash
-- ARGV[1] run key base of the shard (run keys are built from it, same hash tag)  ARGV[2] now
-- ARGV[3] limit  ARGV[4] queuedTimeoutMs
-- ARGV[5] token of this call ('' = none): its reply is kept for a minute, and the same call sent
--         again (its reply was lost) gets it instead of sweeping anew
--
-- Returns JSON ExpireResult: { requeued: ReadyTask[], expired: ExpiredAttempt[], ready: ReadyTask[],
-- unannounced: UnannouncedRun[] }.
-- Queued (or unleased compensating) task: re-enqueued with the same attempt and a new deadline.
-- Leased attempt: a failed attempt with error "lease expired", retried now while attempts remain.
-- A run's end still owed to the bus (`<runId>|#end`): returned with its outcome, and due again after
-- the grace period until the publisher removes it (at most RUN_END_ANNOUNCES times). A final
-- failure still owed to the DLQ (`<runId>|#failed:<phase>:<task>`): returned in `unrecorded`, the same way.
--- @include "includes/keys"
--- @include "includes/engine"
--- @include "includes/reply"

local base, now, limit, qto = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local replyAt = replyKey(KEYS[1], ARGV[5])
local kept = keptReply(replyAt)
if kept then return kept end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local requeued, expired, ready, unannounced, unrecorded = {}, {}, {}, {}, {}

for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  local runId, name = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local ctx = runContextFromBase(base, KEYS[1], KEYS[2], runId, now, qto)
  if name == RUN_END_MARKER then
    local run = redis.call('HMGET', ctx.meta, 'status', 'endedAt')
    -- A run deleted since (its retention passed) owes nothing any more.
    if isTerminalRun(run[1]) and redis.call('HINCRBY', ctx.meta, 'announces', 1) <= RUN_END_ANNOUNCES then
      redis.call('ZADD', KEYS[1], now + runEndGrace(ctx), member)
      -- The outcome as it was when the run ended (its duration runs to endedAt, not to now).
      ctx.now = tonumber(run[2])
      unannounced[#unannounced + 1] = jsonObject({
        'runId', cjson.encode(runId), 'endedAt', run[2], 'run', runOutcome(ctx, run[1]),
      })
    end
  elseif string.sub(name, 1, #FAILURE_MARKER) == FAILURE_MARKER then
    local rest = string.sub(name, #FAILURE_MARKER + 1)
    local colon = string.find(rest, ':', 1, true)
    local phase, task = string.sub(rest, 1, colon - 1), string.sub(rest, colon + 1)
    taskPrefetch(ctx, task, 'state', 'attempt', 'cattempt', 'error', 'endedAt', 'workerId')
    local state = taskGet(ctx, task, 'state')
    local final = (phase == 'execute' and state == 'failed') or (phase == 'compensate' and state == 'compensation_failed')
    -- A run deleted since (its retention passed) owes nothing any more.
    if final and redis.call('HINCRBY', ctx.tasks, task .. ':records', 1) <= RUN_END_ANNOUNCES then
      redis.call('ZADD', KEYS[1], now + runEndGrace(ctx), member)
      local run = redis.call('HMGET', ctx.meta, 'workflow', 'meta')
      local attempt = taskGet(ctx, task, phase == 'execute' and 'attempt' or 'cattempt')
      unrecorded[#unrecorded + 1] = jsonObject({
        'runId', cjson.encode(runId), 'workflow', cjson.encode(run[1]), 'meta', run[2],
        'task', cjson.encode(task), 'phase', cjson.encode(phase), 'attempt', tostring(tonumber(attempt) or 0),
        'error', cjson.encode(taskGet(ctx, task, 'error') or ''), 'workerId', cjson.encode(taskGet(ctx, task, 'workerId') or ''),
        'endedAt', tostring(tonumber(taskGet(ctx, task, 'endedAt')) or now),
      })
    end
  else
    local state = taskGet(ctx, name, 'state')
    local leased = taskGet(ctx, name, 'cleased') == '1'
    if state == 'queued' then
      local before = #ready
      queueTask(ctx, name, tonumber(taskGet(ctx, name, 'attempt')), nil, ready)
      requeued[#requeued + 1] = ready[before + 1]
    elseif state == 'compensating' and not leased then
      setDeadline(ctx, name, now + qto)
      local task = readyTask(ctx, name, tonumber(taskGet(ctx, name, 'cattempt')), 'compensate', nil)
      requeued[#requeued + 1] = task
      ready[#ready + 1] = task
    elseif state == 'running' or state == 'compensating' then
      -- The expired lease's holder may still report: that late call is no replay of this change.
      taskSet(ctx, name, 'lease', '')
      local skipped = {}
      local willRetry, outcome, attempt, phase
      if state == 'running' then
        phase = 'execute'
        attempt = tonumber(taskGet(ctx, name, 'attempt'))
        willRetry, outcome = failExecution(ctx, name, 'lease expired', now, ready, skipped)
      else
        phase = 'compensate'
        attempt = tonumber(taskGet(ctx, name, 'cattempt'))
        willRetry, outcome = failCompensation(ctx, name, 'lease expired', now, ready)
      end
      local fields = {
        'runId', cjson.encode(runId), 'task', cjson.encode(name), 'attempt', tostring(attempt),
        'phase', cjson.encode(phase), 'willRetry', willRetry and 'true' or 'false', 'skipped', jsonStrings(skipped),
      }
      if outcome then fields[13], fields[14] = 'run', outcome end
      expired[#expired + 1] = jsonObject(fields)
    end
  end
end

local reply = jsonObject({
  'requeued', jsonArray(requeued), 'expired', jsonArray(expired), 'ready', jsonArray(ready),
  'unannounced', jsonArray(unannounced), 'unrecorded', jsonArray(unrecorded),
})
if #due > 0 then keepReply(replyAt, reply) end
return reply
