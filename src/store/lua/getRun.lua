-- getRun: a consistent snapshot of a run and its tasks (read only).
--
-- KEYS[1] run meta hash   KEYS[2] run tasks hash   KEYS[3] run results hash
-- ARGV[1] runId
--
-- Returns JSON RunView (tasks by topoIndex), or JSON null when the run does not exist.
--- @include "includes/json"

local run = redis.call('HMGET', KEYS[1], 'workflow', 'status', 'input', 'meta', 'createdAt', 'endedAt', 'error', 'order')
if not run[2] then return 'null' end

local function hashToTable(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
local fields = hashToTable(redis.call('HGETALL', KEYS[2]))
local results = hashToTable(redis.call('HGETALL', KEYS[3]))

local tasks = {}
for _, name in ipairs(cjson.decode(run[8])) do
  local function f(field) return fields[name .. ':' .. field] end
  local view = {
    'name', cjson.encode(name), 'state', cjson.encode(f('state')), 'attempt', f('attempt'),
    'priority', cjson.encode(f('priority')), 'dependsOn', f('deps'),
  }
  if results[name] then view[#view + 1] = 'result'; view[#view + 1] = results[name] end
  if f('error') then view[#view + 1] = 'error'; view[#view + 1] = cjson.encode(f('error')) end
  if f('startedAt') then view[#view + 1] = 'startedAt'; view[#view + 1] = f('startedAt') end
  if f('endedAt') then view[#view + 1] = 'endedAt'; view[#view + 1] = f('endedAt') end
  if f('workerId') then view[#view + 1] = 'workerId'; view[#view + 1] = cjson.encode(f('workerId')) end
  local state = f('state')
  if state == 'compensating' or state == 'compensated' or state == 'compensation_failed' then
    view[#view + 1] = 'compensation'
    view[#view + 1] = jsonObject({
      'attempt', tostring(tonumber(f('cattempt')) or 0), 'leased', f('cleased') == '1' and 'true' or 'false',
    })
  end
  local waiting = f('state') == 'queued' or (f('state') == 'compensating' and f('cleased') ~= '1')
  if waiting and f('notBefore') then view[#view + 1] = 'nextAttemptAt'; view[#view + 1] = f('notBefore') end
  tasks[#tasks + 1] = jsonObject(view)
end

local out = {
  'runId', cjson.encode(ARGV[1]), 'workflow', cjson.encode(run[1]), 'status', cjson.encode(run[2]),
  'input', run[3], 'meta', run[4], 'createdAt', run[5],
}
if run[6] then out[#out + 1] = 'endedAt'; out[#out + 1] = run[6] end
if run[7] then out[#out + 1] = 'error'; out[#out + 1] = cjson.encode(run[7]) end
out[#out + 1] = 'tasks'
out[#out + 1] = jsonArray(tasks)
return jsonObject(out)
