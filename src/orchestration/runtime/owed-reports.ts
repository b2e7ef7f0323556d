import type { Logger } from '../../observability/logger.js';
import { type RunStore, TERMINAL_RUN_STATES } from '../../store/index.js';
import type { LifecycleListener, RunEndedEvent, TaskFailedEvent } from './lifecycle.js';

/**
 * The listener as the orchestrator calls it: a run's end, once the listener has it out (its
 * `runChanged` resolved, and not to `false`), is no longer owed (`runAnnounced`), and a final
 * failure, once `taskFailed` resolved (its DLQ entry written), is no longer owed either
 * (`failureRecorded`): the sweeper does not announce them again. A listener without the method
 * takes them at once.
 */
export function clearingOwedReports(
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
  const record = async (e: TaskFailedEvent): Promise<void> => {
    await listener.taskFailed?.(e);
    if (e.willRetry) return;
    await store.failureRecorded(e.runId, e.task, e.phase).catch((error: unknown) => {
      // Announced again by the sweeper after the grace period: its DLQ entry is keyed, written once.
      logger.warn('final failure recorded but not marked so', {
        runId: e.runId,
        task: e.task,
        error: String(error),
      });
    });
  };
  return {
    taskQueued: listener.taskQueued?.bind(listener),
    taskStarted: listener.taskStarted?.bind(listener),
    taskCompleted: listener.taskCompleted?.bind(listener),
    taskFailed: record,
    tasksSkipped: listener.tasksSkipped?.bind(listener),
    runChanged: announce,
  };
}
