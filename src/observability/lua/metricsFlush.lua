-- metricsFlush: adds one process's metrics buffer to the cluster-wide hashes, in one atomic step
-- (a retried flush never double-counts half of a batch).
--
-- KEYS[1] counters hash   KEYS[2] histograms hash   KEYS[3] slots hash
-- KEYS[4] this flush's applied mark (a token per flush): the same flush sent again (a client
--         resends an unanswered command after reconnecting) adds nothing the second time
-- ARGV[1] n counter cells, then n (field, increment) pairs,
-- then m histogram cells, then m (field, increment) pairs,
-- then s slot reports, then s (worker id, '<slots>:<expires at ms>' or '' to withdraw) pairs.
--
-- Returns 1, or an error (having written nothing) when an increment is not a finite number.

-- Every increment is checked before the first write: Redis does not roll a failed script back,
-- and the buffer, put back after a failure, would add what was written once more on every retry.
local i = 1
for _ = 1, 2 do
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    local v = tonumber(ARGV[i + 1])
    if not v or v ~= v or v == math.huge or v == -math.huge then
      return redis.error_reply('ERR metricsFlush: increment of ' .. ARGV[i] .. ' is not a finite number')
    end
    i = i + 2
  end
end

if redis.call('SET', KEYS[4], '1', 'NX', 'PX', 60000) == false then
  return 1
end

i = 1
for k = 1, 2 do
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    redis.call('HINCRBYFLOAT', KEYS[k], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
end
local s = tonumber(ARGV[i])
i = i + 1
for _ = 1, s do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[3], ARGV[i])
  else
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  end
  i = i + 2
end
return 1
