-- putSubscription: creates or replaces a subscription and moves the version.
--
-- KEYS[1] subscriptions hash   KEYS[2] subscriptions version counter
-- ARGV[1] subscription id   ARGV[2] SubscriptionRecord JSON   ARGV[3] '1': only if the id is absent
--
-- Returns 1 when written, 0 when ARGV[3] is '1' and the id exists (nothing changes, not even the version).

if ARGV[3] == '1' then
  if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('INCR', KEYS[2])
return 1
