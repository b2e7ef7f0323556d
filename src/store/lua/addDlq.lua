-- addDlq: stores a dead letter and indexes it by time, by subscription, and in the sizes hash.
--
-- KEYS[1] entries hash (id -> JSON)   KEYS[2] by-time zset   KEYS[3] sizes hash (subscription id or '')
-- KEYS[4] id sequence counter          KEYS[5] keys hash (entry key -> id)
-- ARGV[1] DlqEntryInput JSON   ARGV[2] createdAt   ARGV[3] subscription id ('' = none)
-- ARGV[4] per-subscription index key base (same hash tag; the subscription id is appended)
-- ARGV[5] the entry's key ('' = none): while an entry with this key exists, it is returned instead
--
-- Returns { id } for a new entry, its id `dlq-<12-digit sequence>` growing with insertion (ties list
-- newest first), or { id, entry JSON } of the existing entry with the same key.

local key = ARGV[5] or ''
if key ~= '' then
  local existing = redis.call('HGET', KEYS[5], key)
  local json = existing and redis.call('HGET', KEYS[1], existing)
  if json then return { existing, json } end
end
local id = string.format('dlq-%012d', redis.call('INCR', KEYS[4]))
if key ~= '' then redis.call('HSET', KEYS[5], key, id) end
redis.call('HSET', KEYS[1], id, ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], id)
if ARGV[3] ~= '' then redis.call('ZADD', ARGV[4] .. ARGV[3], ARGV[2], id) end
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return { id }
