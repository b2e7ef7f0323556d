-- failAttempt: records a failed attempt: a retry at retryAt, or a final failure.
--
-- KEYS[1] run meta hash     KEYS[2] run tasks hash   KEYS[3] run results hash
-- KEYS[4] shard deadlines   KEYS[5] shard stats
-- ARGV[1] runId  ARGV[2] task  ARGV[3] attempt  ARGV[4] phase  ARGV[5] error  ARGV[6] now
-- ARGV[7] retryAt ('' = attempts spent)
-- ARGV[8] lease token ('' = none): a failure sent again answers with its effects (includes/replay)
--
-- Returns JSON FailResult: { ok: true, willRetry, ready: ReadyTask[], skipped: string[], run?: RunOutcome }
-- or { ok: false, reason: not_found | stale }.
-- Execute retry: running -> queued (attempt + 1, notBefore = retryAt), only while attempts remain and the
-- run is neither failing nor cancelled. Final: running -> failed, pending/queued -> skipped; once nothing
-- runs, the run compensates (highest topoIndex first) or fails.
-- Compensate: a retry keeps the task compensating (attempt + 1); final -> compensation_failed, next step.
--- @include "includes/keys"
--- @include "includes/replay"

local runId, name, attempt, phase = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local retryAt = tonumber(ARGV[7])
-- A run that does not exist (or expired) has no tasks hash either: the state read says not_found.
local ctx = runContextFromKeys(runId, tonumber(ARGV[6]))
ctx.token = ARGV[8] or ''
if phase == 'execute' then
  taskPrefetch(ctx, name, 'state', 'attempt', 'max', 'priority')
else
  taskPrefetch(ctx, name, 'state', 'cattempt', 'cmax', 'cleased', 'priority')
end
local state = taskGet(ctx, name, 'state')
if not state then return refusal('not_found') end
local ready, skipped = {}, {}
local willRetry, outcome

-- The failure was recorded already and its reply lost: answer with its effects again.
local function replay()
  local field = phase == 'execute' and 'attempt' or 'cattempt'
  local current = tonumber(taskGet(ctx, name, field))
  local notBefore = tonumber(taskGet(ctx, name, 'notBefore'))
  if current == attempt + 1 and (state == 'queued' or (state == 'compensating' and taskGet(ctx, name, 'cleased') ~= '1')) then
    ready[1] = readyTask(ctx, name, current, phase, notBefore)
    return true, nil
  end
  if current == attempt and (state == 'failed' or state == 'compensation_failed') then
    if state == 'failed' and redis.call('HGET', ctx.meta, 'failedTask') == name then
      for _, other in ipairs(runOrder(ctx)) do
        if taskGet(ctx, other, 'state') == 'skipped' then skipped[#skipped + 1] = other end
      end
    end
    return false, replayedOutcome(ctx, ctx.token, ready)
  end
  return nil
end

if phase == 'compensate' then
  if isLeasedCompensation(ctx, name, attempt) then
    willRetry, outcome = failCompensation(ctx, name, ARGV[5], retryAt, ready)
  elseif sameLease(ctx, name, ctx.token) then
    willRetry, outcome = replay()
  end
elseif state == 'running' and tonumber(taskGet(ctx, name, 'attempt')) == attempt then
  willRetry, outcome = failExecution(ctx, name, ARGV[5], retryAt, ready, skipped)
elseif sameLease(ctx, name, ctx.token) then
  willRetry, outcome = replay()
end
if willRetry == nil then return refusal('stale') end

local fields = {
  'ok', 'true', 'willRetry', willRetry and 'true' or 'false',
  'ready', jsonArray(ready), 'skipped', jsonStrings(skipped),
}
if outcome then fields[9], fields[10] = 'run', outcome end
return jsonObject(fields)
