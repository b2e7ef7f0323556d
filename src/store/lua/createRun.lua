-- createRun: creates a run and queues its root tasks, once per runId.
--
-- KEYS[1] run meta hash     KEYS[2] run tasks hash   KEYS[3] run results hash
-- KEYS[4] shard deadlines   KEYS[5] shard stats
-- ARGV[1] runId  ARGV[2] workflow  ARGV[3] input JSON  ARGV[4] meta JSON  ARGV[5] now
-- ARGV[6] queuedTimeoutMs  ARGV[7] task specs JSON (array, sorted by topoIndex, validated by the caller)
-- ARGV[8] retention ms once the run ends (0 = keep)
-- ARGV[9] token of this call ('' = none): sent again (its reply was lost), it answers as the first
--         time, with the tasks still waiting for their first attempt (the roots, or what they released)
-- ARGV[10] grace ms before the sweeper announces the run's end ('' = RUN_END_GRACE_MS)
--
-- Returns JSON CreateRunResult: { created, ready: ReadyTask[], status }.
-- An existing run is left untouched: { created: false, ready: [], status }.
--- @include "includes/keys"
--- @include "includes/replay"

local runId, now, qto = ARGV[1], tonumber(ARGV[5]), tonumber(ARGV[6])
local token = ARGV[9] or ''
local ctx = runContext(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], runId, now, qto)
local existing = redis.call('HMGET', KEYS[1], 'status', 'ctoken')
if existing[1] then
  if token == '' or existing[2] ~= token then
    return jsonObject({ 'created', 'false', 'ready', '[]', 'status', cjson.encode(existing[1]) })
  end
  local ready = {}
  waitingFirstAttempts(ctx, runOrder(ctx), ready)
  return jsonObject({ 'created', 'true', 'ready', jsonArray(ready), 'status', cjson.encode(existing[1]) })
end

local specs = cjson.decode(ARGV[7])

local names, dependents = {}, {}
for i, spec in ipairs(specs) do
  names[i] = spec.name
  dependents[spec.name] = {}
end
for _, spec in ipairs(specs) do
  for _, dep in ipairs(spec.dependsOn) do table.insert(dependents[dep], spec.name) end
end

redis.call('HSET', ctx.meta,
  'workflow', ARGV[2], 'input', ARGV[3], 'meta', ARGV[4], 'createdAt', ARGV[5], 'status', 'running',
  'qto', ARGV[6], 'ret', ARGV[8] or '0', 'order', jsonStrings(names), 'total', #names,
  'running', 0, 'completed', 0, 'ctoken', token, 'eg', ARGV[10] or '')

-- Every task's fields in one HSET, and the pending count in one HINCRBY.
local fields = {}
for _, spec in ipairs(specs) do
  local values = {
    'state', 'pending', 'attempt', 0, 'left', #spec.dependsOn,
    'deps', jsonStrings(spec.dependsOn), 'dependents', jsonStrings(dependents[spec.name]),
    'priority', spec.priority, 'max', spec.maxAttempts, 'cmax', spec.compensationMaxAttempts,
    'comp', spec.compensable and '1' or '0', 'topo', spec.topoIndex, 'cattempt', 0, 'cleased', 0,
  }
  for i = 1, #values, 2 do
    local key = spec.name .. ':' .. values[i]
    fields[#fields + 1] = key
    fields[#fields + 1] = values[i + 1]
    ctx.cache[key] = tostring(values[i + 1])
  end
end
-- In slices: unpack() is bounded by the Lua stack (a few thousand values).
for i = 1, #fields, 2000 do
  redis.call('HSET', ctx.tasks, unpack(fields, i, math.min(i + 1999, #fields)))
end
bumpStats(ctx, 'pending', nil, #specs)

local ready = {}
for _, spec in ipairs(specs) do
  if #spec.dependsOn == 0 then queueTask(ctx, spec.name, 1, nil, ready) end
end
return jsonObject({ 'created', 'true', 'ready', jsonArray(ready), 'status', '"running"' })
