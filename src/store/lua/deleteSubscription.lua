-- deleteSubscription: removes a subscription; the version moves only when something was removed.
--
-- KEYS[1] subscriptions hash   KEYS[2] subscriptions version counter
-- ARGV[1] subscription id
--
-- Returns 1 when removed, 0 when there was no such subscription.

if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
return 1
