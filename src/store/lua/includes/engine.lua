-- The state machine steps shared by complete, fail, expire and cancel (twin of src/store/memory/transitions.ts).
-- `ready` and `skipped` are lists the caller returns: JSON ReadyTask fragments and task names.
--- @include "includes/tasks"

local function queueTask(ctx, name, attempt, notBefore, ready)
  if notBefore then
    moveTask(ctx, name, 'queued', 'attempt', attempt, 'notBefore', notBefore)
  else
    local from = taskGet(ctx, name, 'state')
    moveTask(ctx, name, 'queued', 'attempt', attempt)
    -- A task leaving `pending` was never delayed: nothing to clear.
    if from ~= 'pending' then taskDel(ctx, name, 'notBefore') end
  end
  setDeadline(ctx, name, (notBefore or ctx.now) + queuedTimeout(ctx))
  ready[#ready + 1] = readyTask(ctx, name, attempt, 'execute', notBefore)
end

local function releaseDependents(ctx, name, ready)
  for _, dependent in ipairs(cjson.decode(taskGet(ctx, name, 'dependents'))) do
    local left = redis.call('HINCRBY', ctx.tasks, dependent .. ':left', -1)
    ctx.cache[dependent .. ':left'] = tostring(left)
    if left == 0 then taskPrefetch(ctx, dependent, 'state', 'priority') end
    if left == 0 and taskGet(ctx, dependent, 'state') == 'pending' then
      queueTask(ctx, dependent, 1, nil, ready)
    end
  end
end

-- A RunOutcome as JSON.
local function runOutcome(ctx, status)
  local m = redis.call('HMGET', ctx.meta, 'workflow', 'meta', 'createdAt', 'error', 'failedTask')
  local fields = {
    'status', cjson.encode(status), 'workflow', cjson.encode(m[1]),
    'durationMs', tostring(ctx.now - tonumber(m[3])), 'meta', m[2],
  }
  if status == 'completed' then
    local all = redis.call('HGETALL', ctx.results)
    fields[#fields + 1] = 'results'
    fields[#fields + 1] = jsonObject(all)
  end
  if m[4] then
    fields[#fields + 1] = 'error'
    fields[#fields + 1] = cjson.encode(m[4])
  end
  if m[5] then
    fields[#fields + 1] = 'failedTask'
    fields[#fields + 1] = cjson.encode(m[5])
  end
  return jsonObject(fields)
end

local function endRun(ctx, status)
  moveRun(ctx, status)
  local outcome = runOutcome(ctx, status)
  -- An ended run is kept for its retention, then Redis deletes it.
  local retention = tonumber(redis.call('HGET', ctx.meta, 'ret') or '0') or 0
  if retention > 0 then
    redis.call('PEXPIRE', ctx.meta, retention)
    redis.call('PEXPIRE', ctx.tasks, retention)
    redis.call('PEXPIRE', ctx.results, retention)
  end
  return outcome
end

-- Starts compensating the completed compensable task with the highest topoIndex; false if none.
local function startNextCompensation(ctx, ready)
  local order = runOrder(ctx)
  for i = #order, 1, -1 do
    local name = order[i]
    if taskGet(ctx, name, 'state') == 'completed' and taskGet(ctx, name, 'comp') == '1' then
      moveTask(ctx, name, 'compensating', 'cattempt', 1, 'cleased', 0)
      taskDel(ctx, name, 'notBefore')
      setDeadline(ctx, name, ctx.now + queuedTimeout(ctx))
      ready[#ready + 1] = readyTask(ctx, name, 1, 'compensate', nil)
      return true
    end
  end
  return false
end

-- A failing run with nothing running left: compensate what completed, or fail.
local function settleFailure(ctx, ready)
  if not startNextCompensation(ctx, ready) then return endRun(ctx, 'failed') end
  moveRun(ctx, 'compensating')
  return runOutcome(ctx, 'compensating')
end

-- After a compensation step ended: start the next one (nil), or end the run (outcome).
local function continueCompensation(ctx, ready)
  if startNextCompensation(ctx, ready) then return nil end
  if redis.call('HGET', ctx.meta, 'compfailed') == '1' then return endRun(ctx, 'failed') end
  return endRun(ctx, 'compensated')
end

-- A running attempt failed for good: fail fast, then compensate or fail once nothing runs.
local function failTaskForGood(ctx, name, err, ready, skipped)
  moveTask(ctx, name, 'failed', 'error', err, 'endedAt', ctx.now)
  clearDeadline(ctx, name)
  oweFailureRecord(ctx, 'execute', name)
  if redis.call('HGET', ctx.meta, 'status') ~= 'running' then return nil end
  if redis.call('HGET', ctx.meta, 'failing') ~= '1' then
    redis.call('HSET', ctx.meta, 'failing', '1', 'error', err, 'failedTask', name)
    for _, other in ipairs(runOrder(ctx)) do
      local state = taskGet(ctx, other, 'state')
      if state == 'pending' or state == 'queued' then
        moveTask(ctx, other, 'skipped')
        clearDeadline(ctx, other)
        skipped[#skipped + 1] = other
      end
    end
  end
  if tonumber(redis.call('HGET', ctx.meta, 'running')) == 0 then return settleFailure(ctx, ready) end
  return nil
end

-- An execute attempt failed: retry at retryAt while attempts remain and the run still runs normally.
-- Returns willRetry, outcome-or-nil.
local function failExecution(ctx, name, err, retryAt, ready, skipped)
  local attempt = tonumber(taskGet(ctx, name, 'attempt'))
  local canRetry = retryAt
    and redis.call('HGET', ctx.meta, 'status') == 'running'
    and redis.call('HGET', ctx.meta, 'failing') ~= '1'
    and attempt < tonumber(taskGet(ctx, name, 'max'))
  if canRetry then
    taskSet(ctx, name, 'error', err)
    queueTask(ctx, name, attempt + 1, retryAt, ready)
    return true, nil
  end
  return false, failTaskForGood(ctx, name, err, ready, skipped)
end

-- A compensation attempt failed: retry it, or mark it failed and go on with the next one.
local function failCompensation(ctx, name, err, retryAt, ready)
  local attempt = tonumber(taskGet(ctx, name, 'cattempt'))
  taskSet(ctx, name, 'error', err)
  if retryAt and attempt < tonumber(taskGet(ctx, name, 'cmax')) then
    moveTask(ctx, name, 'compensating', 'cattempt', attempt + 1, 'cleased', 0, 'notBefore', retryAt)
    setDeadline(ctx, name, retryAt + queuedTimeout(ctx))
    ready[#ready + 1] = readyTask(ctx, name, attempt + 1, 'compensate', retryAt)
    return true, nil
  end
  moveTask(ctx, name, 'compensation_failed', 'endedAt', ctx.now)
  clearDeadline(ctx, name)
  oweFailureRecord(ctx, 'compensate', name)
  redis.call('HSET', ctx.meta, 'compfailed', '1')
  return false, continueCompensation(ctx, ready)
end

local function isLeasedCompensation(ctx, name, attempt)
  return taskGet(ctx, name, 'state') == 'compensating'
    and tonumber(taskGet(ctx, name, 'cattempt')) == attempt
    and taskGet(ctx, name, 'cleased') == '1'
end
