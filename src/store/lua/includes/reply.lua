-- A call's reply kept a minute under its token, for the same call sent again after its reply was
-- lost: it gets that reply instead of doing its work anew. The key shares the hash tag of `key`
-- (the tag is its first {...}). No token ('') keeps nothing.

local function replyKey(key, token)
  if token == nil or token == '' then return nil end
  return key .. ':reply:' .. token
end

-- The reply kept under `at`, or nil.
local function keptReply(at)
  if not at then return nil end
  return redis.call('GET', at) or nil
end

local function keepReply(at, reply)
  if at then redis.call('SET', at, reply, 'PX', 60000) end
end
