-- Claims up to `count` invocations for one dispatcher, in one atomic call:
--   1. due delayed items move to ready;
--   2. expired in-flight items (their dispatcher died or overran the visibility deadline) move
--      back to ready, releasing their flow slot, and are counted as redelivered;
--   3. ready items are popped in priority/FIFO order; an item whose flow key is at its limit is
--      parked in that key's zset, in the same order (the first returns to ready when a slot
--      frees); the others go
--      in flight with a visibility deadline and their delivery count grows.
--
-- Input:
--   KEYS[1] ready zset      KEYS[2] delayed zset    KEYS[3] inflight zset (score = deadline ms)
--   KEYS[4] payload hash    KEYS[5] meta hash       KEYS[6] running hash (flow key -> count)
--   KEYS[7] deliveries hash KEYS[8] stats hash      KEYS[9] wake list
--
--   ARGV[1] base key        ARGV[2] count           ARGV[3] visibility ms
--   ARGV[4] scan budget (extra ready items this call may park before giving up)
--   ARGV[5] claim token ('' = none). The ids a claim took (with their delivery counts) are kept
--           for the visibility window: the same claim sent again (its reply was lost to a dropped
--           connection, and a client sends unanswered commands again) answers with those it still
--           holds, their deadline renewed, instead of taking more and leaving them invisible until
--           their deadline. An item delivered again since (a peer claimed it after its deadline)
--           is not its any more.
--
-- Output: { waitMs, id1, deliveries1, payload1, id2, ... }
--   waitMs: ms until the next delayed item is due or in-flight deadline passes; -1 when none.
-- Events: pushes a wake token when it claimed `count` items and ready still holds more,
--   so another idle dispatcher takes them.
--- @include "includes/keys"
--- @include "includes/time"
--- @include "includes/readyScore"
--- @include "includes/wake"
--- @include "includes/releaseFlowSlot"

local MOVE_LIMIT = 1000
local base = ARGV[1]
local want = tonumber(ARGV[2])
local now = nowMs()
local deadline = now + tonumber(ARGV[3])
local budget = want + tonumber(ARGV[4])
local token = ARGV[5] or ''

if token ~= '' then
  local previous = redis.call('GET', claimKey(base, token))
  if previous then
    local again = { 0 }
    for id, count in string.gmatch(previous, '([^,:]+):(%d+)') do
      local held = redis.call('ZSCORE', KEYS[3], id) and redis.call('HGET', KEYS[7], id) == count
      local payload = held and redis.call('HGET', KEYS[4], id)
      if payload then
        redis.call('ZADD', KEYS[3], 'XX', deadline, id)
        again[#again + 1] = id
        again[#again + 1] = tonumber(count)
        again[#again + 1] = payload
      end
    end
    return again
  end
end

local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, MOVE_LIMIT)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[2], id)
  local meta = redis.call('HGET', KEYS[5], id)
  if meta then
    redis.call('ZADD', KEYS[1], readyScore(cjson.decode(meta).r, id), id)
  end
end

local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, MOVE_LIMIT)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[3], id)
  local raw = redis.call('HGET', KEYS[5], id)
  if raw then
    local meta = cjson.decode(raw)
    if meta.k then
      releaseFlowSlot(base, KEYS[6], KEYS[1], KEYS[5], KEYS[8], meta.k)
    end
    redis.call('ZADD', KEYS[1], readyScore(meta.r, id), id)
    redis.call('HINCRBY', KEYS[8], 'redelivered', 1)
  end
end

local out = { 0 }
local claimed = 0
local taken = {}
while claimed < want and budget > 0 do
  local popped = redis.call('ZPOPMIN', KEYS[1], math.min(want - claimed, budget))
  if #popped == 0 then
    break
  end
  for j = 1, #popped, 2 do
    budget = budget - 1
    local id = popped[j]
    local raw = redis.call('HGET', KEYS[5], id)
    local payload = redis.call('HGET', KEYS[4], id)
    if raw and payload then
      local meta = cjson.decode(raw)
      local running = meta.k and tonumber(redis.call('HGET', KEYS[6], meta.k) or '0') or 0
      if meta.k and running >= (meta.l or 1) then
        redis.call('ZADD', parkedKey(base, meta.k), readyScore(meta.r, id), id)
        redis.call('HINCRBY', KEYS[8], 'parked', 1)
      else
        if meta.k then
          redis.call('HINCRBY', KEYS[6], meta.k, 1)
        end
        redis.call('ZADD', KEYS[3], deadline, id)
        local deliveries = redis.call('HINCRBY', KEYS[7], id, 1)
        out[#out + 1] = id
        out[#out + 1] = deliveries
        out[#out + 1] = payload
        claimed = claimed + 1
        taken[claimed] = id .. ':' .. deliveries
      end
    else
      -- A half-written item (should not happen): drop its remains.
      redis.call('HDEL', KEYS[4], id)
      redis.call('HDEL', KEYS[5], id)
    end
  end
end

if token ~= '' and claimed > 0 then
  redis.call('SET', claimKey(base, token), table.concat(taken, ','), 'PX', ARGV[3])
end

if claimed == want and redis.call('ZCARD', KEYS[1]) > 0 then
  wake(KEYS[9])
end

local nextAt = -1
local firstDelayed = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if firstDelayed[2] then
  nextAt = tonumber(firstDelayed[2])
end
local firstInflight = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if firstInflight[2] and (nextAt < 0 or tonumber(firstInflight[2]) < nextAt) then
  nextAt = tonumber(firstInflight[2])
end
if nextAt >= 0 then
  out[1] = math.max(nextAt - now, 0)
else
  out[1] = -1
end
return out
