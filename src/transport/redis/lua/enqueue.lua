-- Enqueues a batch of invocations in one atomic call.
--
-- An item whose dedup id is already held by a pending item is dropped. An item with a delay
-- goes to the delayed zset (score = due ms), any other to the ready zset (priority, then FIFO).
--
-- Input:
--   KEYS[1] ready zset      KEYS[2] delayed zset    KEYS[3] payload hash (id -> invocation JSON)
--   KEYS[4] meta hash       KEYS[5] id sequence     KEYS[6] wake list
--
--   ARGV[1] base key (for dedup keys)
--   ARGV[2] dedup TTL ms (added to the item's delay)
--   ARGV[3] '1' to wake an idle dispatcher, '0' when the caller claims in the same pipeline (its
--           claim takes the items, and wakes peers itself for what it leaves)
--   ARGV[4..] groups of 5 per item: payload JSON, meta JSON {r, k?, l?, d?}, priority rank,
--             delay ms, dedup id ('' for none)
--
-- Output: { added, deduplicated }
-- Events: pushes one wake token when anything was added and ARGV[3] asks for it.
--- @include "includes/keys"
--- @include "includes/time"
--- @include "includes/readyScore"
--- @include "includes/wake"

local base = ARGV[1]
local dedupTtl = tonumber(ARGV[2])
local now = nowMs()
local added, deduplicated = 0, 0

for i = 4, #ARGV, 5 do
  local payload, meta, rank = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local delay, dedupId = tonumber(ARGV[i + 3]), ARGV[i + 4]
  local id = tostring(redis.call('INCR', KEYS[5]))
  local fresh = true
  if dedupId ~= '' then
    fresh = redis.call('SET', dedupKey(base, dedupId), id, 'NX', 'PX', dedupTtl + math.max(delay, 0))
  end
  if fresh then
    redis.call('HSET', KEYS[3], id, payload)
    redis.call('HSET', KEYS[4], id, meta)
    if delay > 0 then
      redis.call('ZADD', KEYS[2], now + delay, id)
    else
      redis.call('ZADD', KEYS[1], readyScore(rank, id), id)
    end
    added = added + 1
  else
    deduplicated = deduplicated + 1
  end
end

if added > 0 and ARGV[3] == '1' then
  wake(KEYS[6])
end
return { added, deduplicated }
