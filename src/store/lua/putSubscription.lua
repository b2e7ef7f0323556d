-- putSubscription: creates or replaces a subscription and moves the version.
--
-- KEYS[1] subscriptions hash   KEYS[2] subscriptions version counter
-- ARGV[1] subscription id   ARGV[2] SubscriptionRecord JSON
--
-- Returns the new version (integer).

redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('INCR', KEYS[2])
