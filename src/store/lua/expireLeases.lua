-- expireLeases: the sweeper, for one shard. Handles deadline entries with score <= now, oldest first.
--
-- KEYS[1] shard deadlines zset (member runId|task)   KEYS[2] shard stats hash
-- ARGV[1] run key base of the shard (run keys are built from it, same hash tag)  ARGV[2] now
-- ARGV[3] limit  ARGV[4] queuedTimeoutMs
-- ARGV[5] token of this call ('' = none): its reply is kept for a minute, and the same call sent
--         again (its reply was lost) gets it instead of sweeping anew
--
-- Returns JSON ExpireResult: { requeued: ReadyTask[], expired: ExpiredAttempt[], ready: ReadyTask[] }.
-- Queued (or unleased compensating) task: re-enqueued with the same attempt and a new deadline.
-- Leased attempt: a failed attempt with error "lease expired", retried now while attempts remain.
--- @include "includes/keys"
--- @include "includes/engine"
--- @include "includes/reply"

local base, now, limit, qto = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local replyAt = replyKey(KEYS[1], ARGV[5])
local kept = keptReply(replyAt)
if kept then return kept end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local requeued, expired, ready = {}, {}, {}

for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  local runId, name = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local ctx = runContextFromBase(base, KEYS[1], KEYS[2], runId, now, qto)
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

local reply = jsonObject({ 'requeued', jsonArray(requeued), 'expired', jsonArray(expired), 'ready', jsonArray(ready) })
if #due > 0 then keepReply(replyAt, reply) end
return reply
