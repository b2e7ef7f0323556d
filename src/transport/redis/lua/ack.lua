-- Acknowledges invocations: they are done and never delivered again.
--
-- An item still in flight frees its flow slot (unparking one waiting item of that key). An item
-- acknowledged after its deadline passed (a slow dispatcher) is removed wherever it waits now.
-- The dedup key is released if this item still holds it. Unknown ids are ignored (idempotent).
--
-- Input:
--   KEYS[1] ready zset      KEYS[2] delayed zset    KEYS[3] inflight zset
--   KEYS[4] payload hash    KEYS[5] meta hash       KEYS[6] running hash
--   KEYS[7] deliveries hash KEYS[8] stats hash      KEYS[9] wake list
--
--   ARGV[1] base key        ARGV[2..] item ids
--
-- Output: number of items removed
-- Events: pushes a wake token when an item was unparked.
--- @include "includes/keys"
--- @include "includes/wake"
--- @include "includes/releaseFlowSlot"

local base = ARGV[1]
local acked = 0
local unparked = false

for i = 2, #ARGV do
  local id = ARGV[i]
  local raw = redis.call('HGET', KEYS[5], id)
  if raw then
    local meta = cjson.decode(raw)
    if redis.call('ZREM', KEYS[3], id) == 1 then
      if meta.k and releaseFlowSlot(base, KEYS[6], KEYS[1], KEYS[5], KEYS[8], meta.k) then
        unparked = true
      end
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('ZREM', KEYS[2], id)
      if meta.k and (redis.call('ZREM', parkedKey(base, meta.k), id) > 0
          or redis.call('LREM', legacyParkedKey(base, meta.k), 1, id) > 0) then
        redis.call('HINCRBY', KEYS[8], 'parked', -1)
      end
    end
    if meta.d then
      local key = dedupKey(base, meta.d)
      if redis.call('GET', key) == id then
        redis.call('DEL', key)
      end
    end
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[7], id)
    acked = acked + 1
  end
end

if unparked then
  wake(KEYS[9])
end
return acked
