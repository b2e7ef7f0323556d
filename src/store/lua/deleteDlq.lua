-- deleteDlq: removes a dead letter from the entries hash and every index.
--
-- KEYS[1] entries hash   KEYS[2] by-time zset   KEYS[3] sizes hash   KEYS[4] keys hash (entry key -> id)
-- ARGV[1] id   ARGV[2] per-subscription index key base
--
-- Returns 1 when removed, 0 when there was no such entry.

local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
local entry = cjson.decode(json)
local sub = entry.subscriptionId
if type(sub) ~= 'string' then sub = '' end
-- Its key is free again (only if it still names this entry).
if type(entry.key) == 'string' and KEYS[4] and redis.call('HGET', KEYS[4], entry.key) == ARGV[1] then
  redis.call('HDEL', KEYS[4], entry.key)
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if sub ~= '' then redis.call('ZREM', ARGV[2] .. sub, ARGV[1]) end
if redis.call('HINCRBY', KEYS[3], sub, -1) <= 0 then redis.call('HDEL', KEYS[3], sub) end
return 1
