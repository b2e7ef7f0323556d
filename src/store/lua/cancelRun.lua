-- cancelRun: cancels a running run. Waiting tasks are cancelled; running ones finish but release nothing.
--
-- KEYS[1] run meta hash     KEYS[2] run tasks hash   KEYS[3] run results hash
-- KEYS[4] shard deadlines   KEYS[5] shard stats
-- ARGV[1] runId  ARGV[2] now  ARGV[3] reason ('' = none)
-- ARGV[4] token of this call ('' = none): sent again (its reply was lost), it answers as the first
--         time, with the tasks it cancelled
--
-- Returns JSON CancelResult: { ok: true, cancelled: string[], run: RunOutcome }
-- or { ok: false, reason: not_found | run_ended | compensating, cancelled: [] }.
--- @include "includes/keys"
--- @include "includes/engine"

local status = redis.call('HGET', KEYS[1], 'status')
local function refuse(reason)
  return jsonObject({ 'ok', 'false', 'reason', cjson.encode(reason), 'cancelled', '[]' })
end
if not status then return refuse('not_found') end
if status == 'compensating' then return refuse('compensating') end
local ctx = runContextFromKeys(ARGV[1], tonumber(ARGV[2]))
ctx.token = ARGV[4] or ''
if status ~= 'running' then
  if status ~= 'cancelled' or ctx.token == '' or redis.call('HGET', ctx.meta, 'by') ~= ctx.token then
    return refuse('run_ended')
  end
  local cancelled = {}
  for _, name in ipairs(runOrder(ctx)) do
    if taskGet(ctx, name, 'state') == 'cancelled' then cancelled[#cancelled + 1] = name end
  end
  return jsonObject({ 'ok', 'true', 'cancelled', jsonStrings(cancelled), 'run', runOutcome(ctx, 'cancelled') })
end

local cancelled = {}
for _, name in ipairs(runOrder(ctx)) do
  local state = taskGet(ctx, name, 'state')
  if state == 'pending' or state == 'queued' then
    moveTask(ctx, name, 'cancelled')
    taskSet(ctx, name, 'endedAt', ctx.now)
    clearDeadline(ctx, name)
    cancelled[#cancelled + 1] = name
  end
end
if ARGV[3] ~= '' then redis.call('HSET', ctx.meta, 'error', ARGV[3]) end
local outcome = endRun(ctx, 'cancelled')
return jsonObject({ 'ok', 'true', 'cancelled', jsonStrings(cancelled), 'run', outcome })
