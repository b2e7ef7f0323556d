-- Frees one running slot of a flow key and moves its first parked item (by priority, then age)
-- back to ready. Returns true when an item was moved to ready.
--- @include "includes/keys"
--- @include "includes/readyScore"

local function releaseFlowSlot(base, runningKey, readyKey, metaKey, statsKey, flowKey)
  if redis.call('HINCRBY', runningKey, flowKey, -1) <= 0 then
    redis.call('HDEL', runningKey, flowKey)
  end
  -- Items an earlier release parked in a list first: they are the oldest waiting.
  local parkedId = redis.call('LPOP', legacyParkedKey(base, flowKey))
    or redis.call('ZPOPMIN', parkedKey(base, flowKey))[1]
  if not parkedId then
    return false
  end
  redis.call('HINCRBY', statsKey, 'parked', -1)
  local meta = redis.call('HGET', metaKey, parkedId)
  if not meta then
    return false
  end
  redis.call('ZADD', readyKey, readyScore(cjson.decode(meta).r, parkedId), parkedId)
  return true
end
