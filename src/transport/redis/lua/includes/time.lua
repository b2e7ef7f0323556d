-- The Redis server clock in epoch ms: every process agrees on due times and deadlines.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
