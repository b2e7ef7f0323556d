-- readEvents: reads the log by time range (stream ms ids), keeping only some types (read only).
--
-- KEYS[1] event log stream
-- ARGV[1] from ('-' or epoch ms)  ARGV[2] to ('+' or epoch ms)  ARGV[3] limit
-- ARGV[4] JSON array of exact types to keep ([] = all)
--
-- Returns a JSON array of LoggedEvent { seq, receivedAt, event }, oldest first.
--- @include "includes/json"

local limit = tonumber(ARGV[3])
local wanted = nil
for _, t in ipairs(cjson.decode(ARGV[4])) do
  wanted = wanted or {}
  wanted[t] = true
end
local out = {}
local cursor = ARGV[1]
local batchSize = 200
while #out < limit do
  local batch = redis.call('XRANGE', KEYS[1], cursor, ARGV[2], 'COUNT', batchSize)
  for _, entry in ipairs(batch) do
    local f = {}
    for i = 1, #entry[2], 2 do f[entry[2][i]] = entry[2][i + 1] end
    if not wanted or wanted[f.type] then
      out[#out + 1] = jsonObject({ 'seq', cjson.encode(entry[1]), 'receivedAt', f.at, 'event', f.event })
      if #out >= limit then break end
    end
  end
  if #batch < batchSize then break end
  cursor = '(' .. batch[#batch][1]
end
return jsonArray(out)
