-- Wakes one idle dispatcher: pushes a token on the wake list they BLPOP on. The list is capped,
-- so tokens pushed while every dispatcher is busy cost at most a few empty claims later.
local WAKE_TOKEN_CAP = 8

local function wake(wakeKey)
  redis.call('RPUSH', wakeKey, '1')
  redis.call('LTRIM', wakeKey, -WAKE_TOKEN_CAP, -1)
end
