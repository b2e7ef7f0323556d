-- Extends the visibility deadline of invocations a dispatcher is still running, so a task that
-- runs longer than the visibility window is not handed to another dispatcher (which would find
-- its lease busy, acknowledge it, and free its flow slot while it still runs).
--
-- An item is renewed only while this dispatcher still holds it: in flight, with the delivery count
-- it was claimed with (a peer that claimed it after its deadline passed made that count grow).
--
-- Input:
--   KEYS[1] inflight zset (score = deadline ms)    KEYS[2] deliveries hash
--
--   ARGV[1] visibility ms   ARGV[2..] pairs: id, delivery count when claimed
--
-- Output: number of items renewed
--- @include "includes/time"

local deadline = nowMs() + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) and redis.call('HGET', KEYS[2], id) == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', deadline, id)
    renewed = renewed + 1
  end
end
return renewed
