-- Replays: a state change whose reply never reached its caller (a dropped connection: clients send
-- unanswered commands again after reconnecting) comes again with the same token. It finds its change
-- made and answers with its effects again, recomputed from the state, instead of `stale` or `busy`:
-- what it released, the compensation steps waiting, and the run's outcome when it changed the run.
-- Enqueueing a ready task twice is harmless (the transport deduplicates, the lease refuses).
-- The twin of src/store/memory/replay.ts.
--- @include "includes/engine"

-- Whether this call carries the token of the lease the task last ran under (read only here: a
-- replay is rare, and the common path does not fetch the token).
local function sameLease(ctx, name, token)
  return token ~= nil and token ~= '' and taskGet(ctx, name, 'lease') == token
end

-- Those of `names` released (nothing left to wait for) and waiting for their first attempt.
local function waitingFirstAttempts(ctx, names, ready)
  for _, name in ipairs(names) do
    taskPrefetch(ctx, name, 'state', 'attempt', 'left', 'priority')
    if taskGet(ctx, name, 'state') == 'queued' and taskGet(ctx, name, 'left') == '0'
      and taskGet(ctx, name, 'attempt') == '1' then
      ready[#ready + 1] = readyTask(ctx, name, 1, 'execute', nil)
    end
  end
end

-- The run's outcome if the call with this token changed it last, and the compensation steps waiting
-- for a lease while it compensates.
local function replayedOutcome(ctx, token, ready)
  local m = redis.call('HMGET', ctx.meta, 'status', 'by')
  if m[1] == 'compensating' then
    for _, other in ipairs(runOrder(ctx)) do
      if taskGet(ctx, other, 'state') == 'compensating' and taskGet(ctx, other, 'cleased') ~= '1' then
        local notBefore = tonumber(taskGet(ctx, other, 'notBefore'))
        ready[#ready + 1] = readyTask(ctx, other, tonumber(taskGet(ctx, other, 'cattempt')), 'compensate', notBefore)
      end
    end
  end
  if m[2] == token and m[1] ~= 'running' then return runOutcome(ctx, m[1]) end
  return nil
end
