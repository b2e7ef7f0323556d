-- One batch: completes the finished attempts (result, state, lease, stats, task.completed event),
-- releases their dependents (task.created events, queued), ends runs (workflow.completed event and a
-- delivery to the results consumer), acknowledges finished deliveries, then claims and leases up to
-- `want` ready items (task.started events) and returns them with their dependencies' results.
-- KEYS[1] key prefix
-- ARGV[1] now (RFC 3339)  ARGV[2] now ms  ARGV[3] want  ARGV[4] fan
-- ARGV[5] count of finished items, then per item: kind ('t' | 'd'), run, task, result JSON, event id
-- then event ids for the claims (one per wanted item)
local p, now, nowMs, want, fan = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local finished = tonumber(ARGV[5])
local function event(id, type, run, task, result)
  redis.call('XADD', p .. 'events', 'MAXLEN', '~', 100000, '*', 'type', type,
    'event', lifecycleEvent(id, type, run, task, now, result))
end
local function enqueue(item)
  redis.call('ZADD', p .. 'ready', redis.call('INCR', p .. 'seq'), item)
end
local i = 6
for _ = 1, finished do
  local kind, run, task, result, id = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  i = i + 5
  if kind == 't' then
    local key = p .. 'run:' .. run
    redis.call('HSET', key, task .. ':state', 'completed')
    redis.call('HSET', p .. 'results:' .. run, task, result)
    redis.call('ZREM', p .. 'leases', run .. '|' .. task)
    redis.call('HINCRBY', p .. 'stats', 'running', -1)
    redis.call('HINCRBY', p .. 'stats', 'completed', 1)
    event(id .. '-c', 'orchestration.task.completed', run, task, result)
    local released = {}
    if task == 'start' then
      for k = 0, fan - 1 do released[#released + 1] = 'work-' .. k end
    elseif task == 'join' then
      redis.call('HSET', key, 'status', 'completed')
      event(id .. '-e', 'orchestration.workflow.completed', run, task, nil)
      enqueue('d|' .. run .. '|results')
    elseif redis.call('HINCRBY', key, 'join:left', -1) == 0 then
      released[1] = 'join'
    end
    for k, name in ipairs(released) do
      redis.call('HSET', key, name .. ':state', 'queued')
      redis.call('HINCRBY', p .. 'stats', 'queued', 1)
      event(id .. '-q' .. k, 'orchestration.task.created', run, name, nil)
      enqueue('t|' .. run .. '|' .. name)
    end
  end
end
local out = {}
for k = 1, want do
  local popped = redis.call('ZPOPMIN', p .. 'ready')
  if #popped == 0 then break end
  local item = popped[1]
  local kind, run, task = string.match(item, '^(.)|(.-)|(.*)$')
  local deps = '{}'
  if kind == 't' then
    redis.call('HSET', p .. 'run:' .. run, task .. ':state', 'running')
    redis.call('ZADD', p .. 'leases', nowMs + 60000, run .. '|' .. task)
    redis.call('HINCRBY', p .. 'stats', 'queued', -1)
    redis.call('HINCRBY', p .. 'stats', 'running', 1)
    event(ARGV[i + k - 1], 'orchestration.task.started', run, task, nil)
    if task ~= 'start' then
      local names = task == 'join' and {} or { 'start' }
      if task == 'join' then
        for n = 0, fan - 1 do names[#names + 1] = 'work-' .. n end
      end
      local values = redis.call('HMGET', p .. 'results:' .. run, unpack(names))
      local parts = {}
      for n, name in ipairs(names) do parts[n] = '"' .. name .. '":' .. (values[n] or 'null') end
      deps = '{' .. table.concat(parts, ',') .. '}'
    end
  end
  out[#out + 1] = kind
  out[#out + 1] = run
  out[#out + 1] = task
  out[#out + 1] = deps
end
return out
