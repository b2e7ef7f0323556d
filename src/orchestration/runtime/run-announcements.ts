import type { Logger } from '../../observability/logger.js';
import { type RunStore, TERMINAL_RUN_STATES } from '../../store/index.js';
import type { LifecycleListener, RunEndedEvent } from './lifecycle.js';

/**
 * The listener as the orchestrator calls it: a run's end, once the listener has it out (its
 * `runChanged` resolved, and not to `false`), is no longer owed (`runAnnounced`), so the sweeper
 * does not announce it again. A listener without `runChanged` takes every end at once.
 */
export function announcingRunEnds(
  listener: LifecycleListener,
  store: RunStore,
  logger: Logger,
): LifecycleListener {
  const announce = async (e: RunEndedEvent): Promise<void> => {
    const out = await listener.runChanged?.(e);
    if (out === false || !TERMINAL_RUN_STATES.includes(e.status)) return;
    await store.runAnnounced(e.runId).catch((error: unknown) => {
      // Announced again by the sweeper after the grace period: a consumer sees the same event twice.
      logger.warn('run end out but not recorded as announced', { runId: e.runId, error: String(error) });
    });
  };
  return {
    taskQueued: listener.taskQueued?.bind(listener),
    taskStarted: listener.taskStarted?.bind(listener),
    taskCompleted: listener.taskCompleted?.bind(listener),
    taskFailed: listener.taskFailed?.bind(listener),
    tasksSkipped: listener.tasksSkipped?.bind(listener),
    runChanged: announce,
  };
}
