-- dlqSizes: dead letter counts by subscription id ('' for entries without one) (read only).
--
-- KEYS[1] sizes hash
--
-- Returns a JSON object { [subscriptionId]: count }.
--- @include "includes/json"

local flat = redis.call('HGETALL', KEYS[1])
local fields = {}
for i = 1, #flat, 2 do
  if tonumber(flat[i + 1]) > 0 then
    fields[#fields + 1] = flat[i]
    fields[#fields + 1] = flat[i + 1]
  end
end
return jsonObject(fields)
