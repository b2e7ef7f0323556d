import type { TraceCarrier } from '../../observability/tracing.js';
import type { ReadyTask, TaskState } from '../../store/index.js';
import type { Envelope, InvokeOutcome, TaskInvocation } from '../../transport/index.js';
import type { OrchestratorConfig } from './config.js';
import { type BackgroundWork, CriticalCallError, ListenerCalls } from './lifecycle.js';
import type { AnyWorkflow } from './registry.js';
import type { RunEffects } from './run-effects.js';

/**
 * An invocation delivered again whose attempt already ended: the process that ran it recorded the
 * outcome but was not heard to acknowledge it (it may have stopped first). What that process would
 * have done after recording is done again from the store, under the same event ids (a consumer can
 * drop a second copy), and what it released goes out with this acknowledgement instead of after
 * the sweeper's queued timeout:
 * - completed: `task.started` and `task.completed`, and the dependents still waiting for their
 *   first attempt (`task.created`, enqueued);
 * - failed with a retry scheduled and not started yet: `task.failed` (will retry), and the retry
 *   (enqueued for its backoff time);
 * - failed for good (a task, or a compensation step): `task.failed`, its DLQ entry (keyed by run,
 *   task and phase: written once however often it is reported) and `orchestration.alert`.
 * Anything else (a later attempt under way, a task skipped or cancelled) gets the acknowledgement
 * alone, told by the lease's refusal without reading the run.
 */
export async function recoverEnded(
  config: OrchestratorConfig,
  effects: RunEffects,
  workflow: AnyWorkflow,
  invocation: TaskInvocation,
  refusal: { state?: TaskState; attempt?: number },
  trace: TraceCarrier,
  background?: BackgroundWork,
): Promise<InvokeOutcome> {
  const n = invocation.attempt;
  const execute = invocation.phase === 'execute';
  const candidate = execute
    ? (refusal.state === 'completed' && refusal.attempt === n) ||
      (refusal.state === 'failed' && refusal.attempt === n) ||
      (refusal.state === 'queued' && refusal.attempt === n + 1)
    : refusal.state === 'compensation_failed' && refusal.attempt === n;
  if (!candidate) return { status: 'ack' };
  const run = await config.store.getRun(invocation.runId);
  const task = run?.tasks.find((t) => t.name === invocation.task);
  if (!run || !task) return { status: 'ack' };
  const completed = execute && task.state === 'completed' && task.attempt === n;
  const retrying = execute && task.state === 'queued' && task.attempt === n + 1 && task.error !== undefined;
  const failed = execute
    ? task.state === 'failed' && task.attempt === n
    : task.state === 'compensation_failed';
  if (!completed && !retrying && !failed) return { status: 'ack' };
  config.logger.info('attempt ended before, not acknowledged: reporting it again', {
    runId: run.runId,
    task: task.name,
    attempt: invocation.attempt,
  });
  const meta = trace.traceparent ? { ...run.meta, ...trace } : run.meta;
  const ref = {
    runId: run.runId,
    workflow: workflow.name,
    task: task.name,
    attempt: n,
    phase: invocation.phase,
    meta,
    recovered: true as const,
  };
  const now = config.clock();
  const workerId = task.workerId ?? '';
  const calls = new ListenerCalls(config.listener, background);
  let released: ReadyTask[] = [];
  if (failed) {
    // Critical, as the first time: if the DLQ entry cannot be written, the invocation comes again.
    calls.emit(
      'taskFailed',
      { ...ref, error: task.error ?? '', willRetry: false, workerId, failedAt: task.endedAt ?? now },
      { critical: true },
    );
  } else if (completed) {
    const startedAt = task.startedAt ?? run.createdAt;
    const completedAt = task.endedAt ?? startedAt;
    calls.emit('taskStarted', { ...ref, workerId, startedAt, runCreatedAt: run.createdAt });
    calls.emit('taskCompleted', {
      ...ref,
      result: task.result ?? null,
      durationMs: completedAt - startedAt,
      workerId,
      completedAt,
    });
    released = run.tasks
      .filter((t) => t.dependsOn.includes(task.name) && t.state === 'queued' && t.attempt === 1)
      .map((t) => ({ runId: run.runId, task: t.name, attempt: 1, phase: 'execute', priority: t.priority }));
  } else {
    const nextAttemptAt = task.nextAttemptAt;
    calls.emit('taskFailed', {
      ...ref,
      error: task.error ?? '',
      willRetry: true,
      ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
      workerId,
      failedAt: now,
    });
    released = [
      {
        runId: run.runId,
        task: task.name,
        attempt: task.attempt,
        phase: 'execute',
        priority: task.priority,
        ...(nextAttemptAt === undefined ? {} : { notBefore: nextAttemptAt }),
      },
    ];
  }
  const followUps: Envelope[] = [];
  // Not a run end: one still owed is published by the sweeper (it cannot be told apart here).
  const context = { input: run.input, meta: run.meta };
  await effects.apply(workflow, run.runId, calls, released, undefined, context, now, trace, followUps);
  try {
    await calls.settle();
  } catch (error) {
    if (error instanceof CriticalCallError) return { status: 'retry', error: error.message };
    config.logger.error('lifecycle events reported again not published', {
      runId: run.runId,
      task: task.name,
      error: String(error),
    });
  }
  return followUps.length > 0 ? { status: 'ack', followUps } : { status: 'ack' };
}
