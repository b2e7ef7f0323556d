-- Run keys from the shard's run key base; mirrors RUN_KEY_SUFFIXES in src/store/keys.ts.
-- KEYS of every run command: meta, tasks, results, deadlines, stats (in that order).

local function runContext(metaKey, tasksKey, resultsKey, deadlinesKey, statsKey, runId, now, queuedTimeoutMs)
  return {
    meta = metaKey, tasks = tasksKey, results = resultsKey,
    deadlines = deadlinesKey, stats = statsKey,
    id = runId, now = now, qto = queuedTimeoutMs, cache = {},
  }
end

local function runContextFromBase(base, deadlinesKey, statsKey, runId, now, queuedTimeoutMs)
  local key = base .. runId
  return runContext(key, key .. ':tasks', key .. ':results', deadlinesKey, statsKey, runId, now, queuedTimeoutMs)
end

local function runContextFromKeys(runId, now)
  local ctx = runContext(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], runId, now, 0)
  ctx.qto = tonumber(redis.call('HGET', KEYS[1], 'qto') or '0')
  return ctx
end
