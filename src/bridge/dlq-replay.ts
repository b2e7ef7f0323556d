import type { EventBus } from '../events/index.js';
import type { Orchestrator } from '../orchestration/index.js';
import type { DlqEntry, Store } from '../store/index.js';

export interface DlqReplayResult {
  id: string;
  kind: DlqEntry['kind'];
  /** For a task entry: the fresh run started with the failed run's input. */
  runId?: string;
  /** For a delivery or trigger entry: the subscription the event was delivered to again. */
  subscriptionId?: string;
}

/** Thrown when a DLQ entry cannot be replayed (its subscription or run is gone). */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/**
 * Replays one DLQ entry and removes it: a delivery (or rejected trigger) is delivered again to its
 * subscription as attempt 1; a failed task starts a fresh run of its workflow with the same input.
 */
export async function replayDlqEntry(
  store: Store,
  bus: EventBus,
  orchestrator: Orchestrator,
  id: string,
): Promise<DlqReplayResult | undefined> {
  const entry = await store.getDlq(id);
  if (!entry) return undefined;
  let result: DlqReplayResult;
  if (entry.kind === 'task') {
    const run = entry.runId ? await store.getRun(entry.runId) : undefined;
    if (!run) throw new ReplayError(`run '${entry.runId}' of DLQ entry '${id}' no longer exists`);
    // The entry may predate the run's end: a task the transport gave up on is retried by the
    // sweeper, and its run can still complete. A fresh run would do its work a second time.
    if (run.status === 'completed' || run.status === 'running' || run.status === 'compensating') {
      throw new ReplayError(
        `run '${run.runId}' of DLQ entry '${id}' is ${run.status}: only a run that failed, was compensated or was cancelled is replayed`,
      );
    }
    const started = await orchestrator.startRun({
      workflow: run.workflow,
      input: run.input,
      idempotencyKey: `dlq:${id}`,
      meta: { ...run.meta, replay_id: id, replay_of_run: run.runId },
    });
    result = { id, kind: entry.kind, runId: started.runId };
  } else {
    if (!entry.subscriptionId || !entry.event)
      throw new ReplayError(`DLQ entry '${id}' has no event to deliver`);
    if (!(await bus.subscriptions.get(entry.subscriptionId))) {
      throw new ReplayError(`subscription '${entry.subscriptionId}' of DLQ entry '${id}' no longer exists`);
    }
    await bus.redeliver(entry.subscriptionId, entry.event, id);
    result = { id, kind: entry.kind, subscriptionId: entry.subscriptionId };
  }
  await store.deleteDlq(id);
  return result;
}
