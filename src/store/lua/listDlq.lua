-- listDlq: dead letters, newest first, from one index, optionally of one kind (read only).
--
-- KEYS[1] index zset (by time, or one subscription's)   KEYS[2] entries hash
-- ARGV[1] limit   ARGV[2] kind ('' = any)
--
-- Returns a JSON array of { id, entry } (entry is the stored DlqEntryInput JSON).
--- @include "includes/json"

local limit, kind = tonumber(ARGV[1]), ARGV[2]
local out = {}
local offset, batchSize = 0, 200
while #out < limit do
  local ids = redis.call('ZREVRANGE', KEYS[1], offset, offset + batchSize - 1)
  if #ids == 0 then break end
  local entries = redis.call('HMGET', KEYS[2], unpack(ids))
  for i, id in ipairs(ids) do
    local json = entries[i]
    if json and (kind == '' or cjson.decode(json).kind == kind) then
      out[#out + 1] = jsonObject({ 'id', cjson.encode(id), 'entry', json })
      if #out >= limit then break end
    end
  end
  offset = offset + batchSize
end
return jsonArray(out)
