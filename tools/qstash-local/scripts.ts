/**
 * The atomic steps of a message's life, one Lua script each. Keys follow `keys.ts`: scripts get
 * the prefix and build `msg:<id>` and `flow:<key>` themselves.
 */

/**
 * enqueue — store a message and schedule it, unless its deduplication id was seen in the window.
 * KEYS[1] msg:<id>, KEYS[2] due, KEYS[3] dedup:<dedupId> (any key when there is none)
 * ARGV[1] id, ARGV[2] message JSON, ARGV[3] flow key ('' = none), ARGV[4] parallelism ('0' = no cap),
 * ARGV[5] due at (ms), ARGV[6] dedup window ms ('0' = no dedup)
 * Returns {1, id} when enqueued, {0, existingId} when deduplicated.
 */
export const ENQUEUE = `
if ARGV[6] ~= '0' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {0, existing} end
  redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[6])
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'flowKey', ARGV[3], 'parallelism', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return {1, ARGV[1]}
`;

/**
 * claim — move due messages to in-flight with a visibility deadline, at most `parallelism`
 * in flight per flow key. Blocked messages stay due and are looked at again next time.
 * KEYS[1] due, KEYS[2] inflight
 * ARGV[1] now ms, ARGV[2] deadline ms, ARGV[3] how many to claim, ARGV[4] prefix, ARGV[5] scan limit
 * Returns a flat list {id, json, id, json, ...}.
 */
export const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[5]))
local claimed = {}
local wanted = tonumber(ARGV[3])
for _, id in ipairs(ids) do
  if #claimed >= wanted * 2 then break end
  local msg = ARGV[4] .. 'msg:' .. id
  local fields = redis.call('HMGET', msg, 'json', 'flowKey', 'parallelism')
  if not fields[1] then
    redis.call('ZREM', KEYS[1], id)
  else
    local free = true
    if fields[2] and fields[2] ~= '' then
      local active = ARGV[4] .. 'flow:' .. fields[2]
      local cap = tonumber(fields[3]) or 0
      if cap > 0 and redis.call('SCARD', active) >= cap then
        free = false
      else
        redis.call('SADD', active, id)
      end
    end
    if free then
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZADD', KEYS[2], ARGV[2], id)
      claimed[#claimed + 1] = id
      claimed[#claimed + 1] = fields[1]
    end
  end
end
return claimed
`;

/** Shared by the scripts that take a message out of flight: free its flow-control slot. */
const RELEASE_FLOW = `
local function release_flow(prefix, id)
  local key = redis.call('HGET', prefix .. 'msg:' .. id, 'flowKey')
  if key and key ~= '' then redis.call('SREM', prefix .. 'flow:' .. key, id) end
end
`;

/**
 * reclaim — in-flight messages whose visibility deadline passed (their deliverer died) are due again.
 * KEYS[1] due, KEYS[2] inflight; ARGV[1] now ms, ARGV[2] prefix
 * Returns how many were moved back.
 */
export const RECLAIM = `${RELEASE_FLOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  release_flow(ARGV[2], id)
  if redis.call('EXISTS', ARGV[2] .. 'msg:' .. id) == 1 then redis.call('ZADD', KEYS[1], ARGV[1], id) end
end
return #ids
`;

/**
 * settle — finish an attempt: 'done' deletes the message, 'retry' stores the updated message and
 * schedules it, 'dlq' deletes it and writes the DLQ entry.
 * KEYS[1] due, KEYS[2] inflight, KEYS[3] dlq
 * ARGV[1] id, ARGV[2] prefix, ARGV[3] outcome, ARGV[4] due at ms (retry), ARGV[5] message JSON (retry),
 * ARGV[6] dlqId, ARGV[7] DLQ entry JSON, ARGV[8] now ms
 * Returns 1, or 0 when the message was no longer in flight (cancelled, or reclaimed elsewhere).
 */
export const SETTLE = `${RELEASE_FLOW}
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
release_flow(ARGV[2], ARGV[1])
local msg = ARGV[2] .. 'msg:' .. ARGV[1]
if ARGV[3] == 'retry' then
  redis.call('HSET', msg, 'json', ARGV[5])
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
else
  redis.call('DEL', msg)
  if ARGV[3] == 'dlq' then
    redis.call('SET', ARGV[2] .. 'dlq:' .. ARGV[6], ARGV[7])
    redis.call('ZADD', KEYS[3], ARGV[8], ARGV[6])
  end
end
return 1
`;

/**
 * cancel — drop a message wherever it is (due or in flight).
 * KEYS[1] due, KEYS[2] inflight; ARGV[1] id, ARGV[2] prefix
 * Returns 1 when the message existed.
 */
export const CANCEL = `${RELEASE_FLOW}
release_flow(ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', ARGV[2] .. 'msg:' .. ARGV[1])
`;
