-- Keys a script derives from the transport's base key (ARGV "base", e.g. "app:{transport}:").
-- They share the base, hence its hash tag, so every script stays single-slot on Redis Cluster.
-- Mirrors dedup / parked / claim in src/transport/redis/keys.ts: change both together.
local function dedupKey(base, dedupId)
  return base .. 'dedup:' .. dedupId
end

-- Items waiting for a slot of a flow key: a zset scored like ready (priority, then FIFO).
local function parkedKey(base, flowKey)
  return base .. 'parkedq:' .. flowKey
end

-- Where earlier releases parked items, as a FIFO list: still drained, never written.
local function legacyParkedKey(base, flowKey)
  return base .. 'parked:' .. flowKey
end

local function claimKey(base, token)
  return base .. 'claim:' .. token
end
