-- Creates runs of the 1 -> FAN -> 1 DAG and queues their roots (one call per batch of runs).
-- KEYS[1] key prefix
-- ARGV[1] now (RFC 3339)  ARGV[2] fan  ARGV[3..] pairs: run id, event id (task.created of the root)
local p, now, fan = KEYS[1], ARGV[1], tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV, 2 do
  local run, eventId = ARGV[i], ARGV[i + 1]
  local fields = { 'status', 'running', 'join:left', fan, 'start:state', 'queued', 'join:state', 'pending' }
  for k = 0, fan - 1 do
    fields[#fields + 1] = 'work-' .. k .. ':state'
    fields[#fields + 1] = 'pending'
  end
  redis.call('HSET', p .. 'run:' .. run, unpack(fields))
  redis.call('XADD', p .. 'events', 'MAXLEN', '~', 100000, '*', 'type', 'orchestration.task.created',
    'event', lifecycleEvent(eventId, 'orchestration.task.created', run, 'start', now, nil))
  redis.call('ZADD', p .. 'ready', redis.call('INCR', p .. 'seq'), 't|' .. run .. '|start')
  redis.call('HINCRBY', p .. 'stats', 'queued', 1)
  n = n + 1
end
return n
