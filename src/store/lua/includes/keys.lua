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

-- The queued timeout is read on first use (queuedTimeout in includes/tasks).
local function runContextFromKeys(runId, now)
  return runContext(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], runId, now, nil)
end
