-- Task fields live in one hash per run, as `<task>:<field>`; the shard's stats hash counts tasks by state.
--- @include "includes/json"
--- @include "model"

-- Reads go through a per-call cache (ctx.cache): one script reads a task's state, priority and
-- attempt several times, and each HGET is a command.
local function taskGet(ctx, name, field)
  local key = name .. ':' .. field
  local value = ctx.cache[key]
  if value == nil then
    value = redis.call('HGET', ctx.tasks, key)
    ctx.cache[key] = value
  end
  return value
end

-- Reads several fields of a task with one HMGET into the cache (fields already cached are skipped).
local function taskPrefetch(ctx, name, ...)
  local missing = {}
  for _, field in ipairs({ ... }) do
    if ctx.cache[name .. ':' .. field] == nil then missing[#missing + 1] = name .. ':' .. field end
  end
  if #missing == 0 then return end
  local values = redis.call('HMGET', ctx.tasks, unpack(missing))
  for i, key in ipairs(missing) do ctx.cache[key] = values[i] end
end

-- taskSet(ctx, name, field1, value1, field2, value2, ...)
local function taskSet(ctx, name, ...)
  local pairsList = { ... }
  local args = {}
  for i = 1, #pairsList, 2 do
    local key = name .. ':' .. pairsList[i]
    args[#args + 1] = key
    args[#args + 1] = pairsList[i + 1]
    ctx.cache[key] = tostring(pairsList[i + 1])
  end
  redis.call('HSET', ctx.tasks, unpack(args))
end

local function taskDel(ctx, name, field)
  redis.call('HDEL', ctx.tasks, name .. ':' .. field)
  ctx.cache[name .. ':' .. field] = false
end

local COUNTED_STATES = { pending = true, queued = true, running = true, completed = true, failed = true }

-- Queued tasks are counted by priority only (`queued:<priority>`; readers sum them).
local function bumpStats(ctx, state, priority, delta)
  if not COUNTED_STATES[state] then return end
  redis.call('HINCRBY', ctx.stats, state == 'queued' and ('queued:' .. priority) or state, delta)
end

-- The one place a task changes state: checks the model table, keeps stats and run counters exact.
-- Further field/value pairs are written by the same HSET.
local function moveTask(ctx, name, to, ...)
  local from = taskGet(ctx, name, 'state')
  if not canMoveTask(from, to) then
    error('illegal task transition ' .. tostring(from) .. ' -> ' .. to .. ' (' .. ctx.id .. '/' .. name .. ')')
  end
  taskSet(ctx, name, 'state', to, ...)
  if from == to then return end
  -- Only the queued counters are kept by priority.
  local priority = (from == 'queued' or to == 'queued') and taskGet(ctx, name, 'priority') or nil
  bumpStats(ctx, from, priority, -1)
  bumpStats(ctx, to, priority, 1)
  if from == 'running' then redis.call('HINCRBY', ctx.meta, 'running', -1) end
  if to == 'running' then redis.call('HINCRBY', ctx.meta, 'running', 1) end
  if from == 'completed' then redis.call('HINCRBY', ctx.meta, 'completed', -1) end
  if to == 'completed' then redis.call('HINCRBY', ctx.meta, 'completed', 1) end
end

-- How long the publisher has to announce the run's end before the sweeper does (set at creation),
-- read once per call and only when needed (a completion reads it with the run's other fields).
local function runEndGrace(ctx)
  if ctx.eg == nil then ctx.eg = tonumber(redis.call('HGET', ctx.meta, 'eg') or '') or RUN_END_GRACE_MS end
  return ctx.eg
end

-- A final failure is owed to the DLQ until its listener recorded it (model.ts: FAILURE_MARKER).
local function oweFailureRecord(ctx, phase, name)
  redis.call('ZADD', ctx.deadlines, ctx.now + runEndGrace(ctx), ctx.id .. '|' .. FAILURE_MARKER .. phase .. ':' .. name)
end

local function moveRun(ctx, to)
  local from = redis.call('HGET', ctx.meta, 'status')
  if not canMoveRun(from, to) then
    error('illegal run transition ' .. tostring(from) .. ' -> ' .. to .. ' (' .. ctx.id .. ')')
  end
  -- `by`: the token of the call that made the change (includes/replay), '' for none.
  if to == 'compensating' then
    redis.call('HSET', ctx.meta, 'status', to, 'by', ctx.token or '')
  else
    redis.call('HSET', ctx.meta, 'status', to, 'endedAt', ctx.now, 'by', ctx.token or '')
    -- Owed to the bus until the publisher removes it (model.ts: RUN_END_MARKER).
    redis.call('ZADD', ctx.deadlines, ctx.now + runEndGrace(ctx), ctx.id .. '|' .. RUN_END_MARKER)
  end
end

-- How long a queued task may wait (the run's `qto`), read once per call and only when needed.
local function queuedTimeout(ctx)
  if ctx.qto == nil then ctx.qto = tonumber(redis.call('HGET', ctx.meta, 'qto') or '0') end
  return ctx.qto
end

local function setDeadline(ctx, name, at)
  redis.call('ZADD', ctx.deadlines, at, ctx.id .. '|' .. name)
end

local function clearDeadline(ctx, name)
  redis.call('ZREM', ctx.deadlines, ctx.id .. '|' .. name)
end

local function runOrder(ctx)
  return cjson.decode(redis.call('HGET', ctx.meta, 'order'))
end

-- A ReadyTask as JSON.
local function readyTask(ctx, name, attempt, phase, notBefore)
  local fields = {
    'runId', cjson.encode(ctx.id), 'task', cjson.encode(name), 'attempt', tostring(attempt),
    'phase', cjson.encode(phase), 'priority', cjson.encode(taskGet(ctx, name, 'priority')),
  }
  if notBefore then
    fields[#fields + 1] = 'notBefore'
    fields[#fields + 1] = tostring(notBefore)
  end
  return jsonObject(fields)
end
