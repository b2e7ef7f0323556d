-- A cheap read of the transport's depth. Writes nothing.
--
-- Input:
--   KEYS[1] ready zset      KEYS[2] delayed zset    KEYS[3] inflight zset
--   KEYS[4] stats hash
--
-- Output: { readyCritical, readyHigh, readyNormal, readyLow, delayed, inflight, parked, redelivered }
--- @include "includes/readyScore"

local out = {}
for rank = 0, 3 do
  local low = string.format('%.0f', rank * PRIORITY_SPAN)
  local high = string.format('(%.0f', (rank + 1) * PRIORITY_SPAN)
  out[#out + 1] = redis.call('ZCOUNT', KEYS[1], low, high)
end
out[#out + 1] = redis.call('ZCARD', KEYS[2])
out[#out + 1] = redis.call('ZCARD', KEYS[3])
out[#out + 1] = tonumber(redis.call('HGET', KEYS[4], 'parked') or '0')
out[#out + 1] = tonumber(redis.call('HGET', KEYS[4], 'redelivered') or '0')
return out
