-- Gives invocations back for a later redelivery (the handler answered `retry`).
--
-- Only the dispatcher holding the current delivery may do so: the item must still be in flight
-- and its delivery count must match, otherwise the call is stale and ignored. The flow slot is
-- freed (unparking one waiting item of that key); the item waits in delayed for `delay` ms, or
-- goes straight back to ready when the delay is 0.
--
-- Input:
--   KEYS[1] ready zset      KEYS[2] delayed zset    KEYS[3] inflight zset
--   KEYS[4] meta hash       KEYS[5] running hash    KEYS[6] deliveries hash
--   KEYS[7] stats hash      KEYS[8] wake list
--
--   ARGV[1] base key
--   ARGV[2..] groups of 3 per item: id, delivery count, delay ms
--
-- Output: number of items given back
-- Events: pushes a wake token when an item became ready.
--- @include "includes/time"
--- @include "includes/readyScore"
--- @include "includes/wake"
--- @include "includes/releaseFlowSlot"

local base = ARGV[1]
local now = nowMs()
local count = 0
local readied = false

for i = 2, #ARGV, 3 do
  local id, deliveries, delay = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local raw = redis.call('HGET', KEYS[4], id)
  if raw and redis.call('HGET', KEYS[6], id) == deliveries and redis.call('ZREM', KEYS[3], id) == 1 then
    local meta = cjson.decode(raw)
    if meta.k and releaseFlowSlot(base, KEYS[5], KEYS[1], KEYS[4], KEYS[7], meta.k) then
      readied = true
    end
    if delay > 0 then
      redis.call('ZADD', KEYS[2], now + delay, id)
    else
      redis.call('ZADD', KEYS[1], readyScore(meta.r, id), id)
      readied = true
    end
    count = count + 1
  end
end

if readied then
  wake(KEYS[8])
end
return count
