-- completeAttempt: records a successful attempt and releases what it unblocks, atomically.
--
-- KEYS[1] run meta hash     KEYS[2] run tasks hash   KEYS[3] run results hash
-- KEYS[4] shard deadlines   KEYS[5] shard stats
-- ARGV[1] runId  ARGV[2] task  ARGV[3] attempt  ARGV[4] phase  ARGV[5] result JSON  ARGV[6] now
-- ARGV[7] lease token ('' = none): a completion sent again answers with its effects (includes/replay)
--
-- Returns JSON CompleteResult: { ok: true, ready: ReadyTask[], run?: RunOutcome }
-- or { ok: false, reason: not_found | stale } (a duplicate completion changes nothing).
-- Execute: running -> completed; dependents reaching zero open deps -> queued; all completed -> run completed.
-- On a cancelled run the result is kept and nothing is released. On a failing run, the last running
-- task ending starts compensation (or fails the run). Compensate: compensating -> compensated, then the next step.
--- @include "includes/keys"
--- @include "includes/replay"

local runId, name, attempt, phase = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
-- A run that does not exist (or expired) has no tasks hash either: the state read says not_found.
local ctx = runContextFromKeys(runId, tonumber(ARGV[6]))
ctx.token = ARGV[7] or ''
if phase == 'execute' then
  taskPrefetch(ctx, name, 'state', 'attempt', 'dependents')
else
  taskPrefetch(ctx, name, 'state', 'cattempt', 'cleased', 'priority')
end
local state = taskGet(ctx, name, 'state')
if not state then return refusal('not_found') end
local ready = {}

local function reply(outcome)
  local fields = { 'ok', 'true', 'ready', jsonArray(ready) }
  if outcome then fields[5], fields[6] = 'run', outcome end
  return jsonObject(fields)
end

if phase == 'compensate' then
  if not isLeasedCompensation(ctx, name, attempt) then
    if state == 'compensated' and tonumber(taskGet(ctx, name, 'cattempt')) == attempt
      and sameLease(ctx, name, ctx.token) then
      return reply(replayedOutcome(ctx, ctx.token, ready))
    end
    return refusal('stale')
  end
  moveTask(ctx, name, 'compensated', 'endedAt', ctx.now)
  clearDeadline(ctx, name)
  return reply(continueCompensation(ctx, ready))
end

if state ~= 'running' or tonumber(taskGet(ctx, name, 'attempt')) ~= attempt then
  -- Completed by this call, then maybe already compensating (the run was failing).
  if string.find('|completed|compensating|compensated|compensation_failed|', '|' .. state .. '|', 1, true)
    and tonumber(taskGet(ctx, name, 'attempt')) == attempt and sameLease(ctx, name, ctx.token) then
    waitingFirstAttempts(ctx, cjson.decode(taskGet(ctx, name, 'dependents')), ready)
    return reply(replayedOutcome(ctx, ctx.token, ready))
  end
  return refusal('stale')
end
moveTask(ctx, name, 'completed', 'endedAt', ctx.now)
redis.call('HSET', ctx.results, name, ARGV[5])
clearDeadline(ctx, name)

local outcome = nil
local run = redis.call('HMGET', ctx.meta, 'status', 'failing', 'running', 'completed', 'total', 'qto', 'eg')
if run[1] ~= 'running' and run[1] ~= 'compensating' then
  -- The run ended while this task ran (cancelled): its keys expire after the retention, and a
  -- results hash this write just created would not.
  local ttl = redis.call('PTTL', ctx.meta)
  if ttl > 0 then redis.call('PEXPIRE', ctx.results, ttl) end
end
-- Releasing a dependent queues it: its deadline needs the run's queued timeout, read here for free.
ctx.qto = tonumber(run[6] or '0')
-- Ending the run owes its end for the grace period, read here for free too.
ctx.eg = tonumber(run[7] or '') or RUN_END_GRACE_MS
if run[1] == 'running' then
  if run[2] == '1' then
    if tonumber(run[3]) == 0 then outcome = settleFailure(ctx, ready) end
  else
    releaseDependents(ctx, name, ready)
    -- `total` is written at creation (runs created before it existed count their `order`).
    local total = tonumber(run[5]) or #runOrder(ctx)
    if tonumber(run[4]) == total then outcome = endRun(ctx, 'completed') end
  end
end
return reply(outcome)
