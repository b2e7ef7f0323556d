-- appendEvents: appends events to the bounded log, in order, in one call.
--
-- KEYS[1] event log stream
-- ARGV[1] now  ARGV[2] cap (XADD MAXLEN ~ cap)  ARGV[3..] pairs: event type, event JSON
--
-- Returns a JSON array of the stream ids given, in order. Ids are `<ms>-<n>` with
-- ms = max(now, last id's ms), so a caller clock running behind never breaks the order.
--- @include "includes/json"

local ms = tonumber(ARGV[1])
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then
  local lastMs = tonumber(string.match(last[1], '^(%d+)'))
  if lastMs > ms then ms = lastMs end
end
local ids = {}
for i = 3, #ARGV, 2 do
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string.format('%d-*', ms),
    'type', ARGV[i], 'event', ARGV[i + 1], 'at', ARGV[1])
  ids[#ids + 1] = cjson.encode(id)
end
return jsonArray(ids)
