-- listSubscriptions: every subscription (read only; the caller sorts).
--
-- KEYS[1] subscriptions hash
--
-- Returns a JSON array of SubscriptionRecord.
--- @include "includes/json"

return jsonArray(redis.call('HVALS', KEYS[1]))
