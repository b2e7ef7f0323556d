-- Score of an item in the ready zset: priority first (lower rank runs first), then enqueue
-- order (the item id is a per-transport sequence), so FIFO within a priority.
-- Mirrors PRIORITY_SPAN in src/transport/redis/keys.ts.
local PRIORITY_SPAN = 1e13

local function readyScore(rank, id)
  return string.format('%.0f', rank * PRIORITY_SPAN + tonumber(id))
end
