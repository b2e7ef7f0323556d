-- appendEvents: appends events to the bounded log, in order, in one call, dropping duplicates.
--
-- KEYS[1] event log stream
-- ARGV[1] now  ARGV[2] cap (XADD MAXLEN ~ cap)  ARGV[3] dedup window ms (0 = no dedup)
-- ARGV[4] seen-key base (same hash tag as KEYS[1])
-- ARGV[5] token of this call ('' = none): its reply is kept a minute, and the same call sent again
--         (its reply was lost) gets it instead of appending anew, which would log the events twice
--         or take the deduplicated ones for duplicates (and its caller would not fan them out)
-- ARGV[6..] triples: event type, dedup id (`source` NUL `id`, or '' to exempt it), event JSON
--
-- Returns a JSON array, one entry per event in order: its stream id, or "" when an event with the
-- same source and id was appended within the window (CloudEvents: source + id identify an event).
-- Ids are `<ms>-<n>` with ms = max(now, last id's ms), so a caller clock running behind never
-- breaks the order.
--- @include "includes/json"
--- @include "includes/reply"

local replyAt = replyKey(KEYS[1], ARGV[5])
local kept = keptReply(replyAt)
if kept then return kept end

local ms = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then
  local lastMs = tonumber(string.match(last[1], '^(%d+)'))
  if lastMs > ms then ms = lastMs end
end
-- Formatted once: a number passed to a command is printed with "%.17g" on every call.
local idSpec = string.format('%d-*', ms)
local ids = {}
for i = 6, #ARGV, 3 do
  local fresh = true
  if window > 0 and ARGV[i + 1] ~= '' then
    fresh = redis.call('SET', ARGV[4] .. ARGV[i + 1], '1', 'NX', 'PX', ARGV[3]) ~= false
  end
  if fresh then
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], idSpec,
      'type', ARGV[i], 'event', ARGV[i + 2], 'at', ARGV[1])
    -- Stream ids are digits and a dash: nothing to escape.
    ids[#ids + 1] = '"' .. id .. '"'
  else
    ids[#ids + 1] = '""'
  end
end
local reply = jsonArray(ids)
keepReply(replyAt, reply)
return reply
