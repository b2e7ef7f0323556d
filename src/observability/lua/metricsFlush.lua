-- metricsFlush: adds one process's metrics buffer to the cluster-wide hashes, in one atomic step
-- (a retried flush never double-counts half of a batch).
--
-- KEYS[1] counters hash   KEYS[2] histograms hash   KEYS[3] slots hash
-- ARGV[1] n counter cells, then n (field, increment) pairs,
-- then m histogram cells, then m (field, increment) pairs,
-- then s slot reports, then s (worker id, '<slots>:<expires at ms>' or '' to withdraw) pairs.
--
-- Returns 1.

local i = 1
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
