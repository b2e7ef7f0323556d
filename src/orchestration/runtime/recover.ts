import type { TraceCarrier } from '../../observability/tracing.js';
import type { ReadyTask } from '../../store/index.js';
import type { Envelope, InvokeOutcome, TaskInvocation } from '../../transport/index.js';
import type { OrchestratorConfig } from './config.js';
import { type BackgroundWork, ListenerCalls } from './lifecycle.js';
import type { AnyWorkflow } from './registry.js';
import type { RunEffects } from './run-effects.js';

/**
 * An invocation delivered again whose attempt already completed: the process that ran it recorded
 * the outcome but was not heard to acknowledge it (it may have stopped first). What that process
 * would have done after recording is done again from the store: the attempt's `task.started` and
 * `task.completed` events (their ids are the same, so a consumer can drop a second copy), and the
 * dependents it released that still wait for their first attempt are reported and enqueued with
 * this acknowledgement instead of after the sweeper's queued timeout.
 *
 * Anything else (a later attempt exists, the task failed or is compensating) is left alone: the
 * acknowledgement alone, as before.
 */
export async function recoverCompleted(
  config: OrchestratorConfig,
  effects: RunEffects,
  workflow: AnyWorkflow,
  invocation: TaskInvocation,
  trace: TraceCarrier,
  background?: BackgroundWork,
): Promise<InvokeOutcome> {
  const run = await config.store.getRun(invocation.runId);
  const task = run?.tasks.find((t) => t.name === invocation.task);
  if (!run || !task || task.state !== 'completed' || task.attempt !== invocation.attempt) {
    return { status: 'ack' };
  }
  config.logger.info('attempt completed before, not acknowledged: reporting it again', {
    runId: run.runId,
    task: task.name,
    attempt: task.attempt,
  });
  const meta = trace.traceparent ? { ...run.meta, ...trace } : run.meta;
  const ref = {
    runId: run.runId,
    workflow: workflow.name,
    task: task.name,
    attempt: task.attempt,
    phase: 'execute' as const,
    meta,
    recovered: true as const,
  };
  const startedAt = task.startedAt ?? run.createdAt;
  const completedAt = task.endedAt ?? startedAt;
  const workerId = task.workerId ?? '';
  const calls = new ListenerCalls(config.listener, background);
  calls.emit('taskStarted', { ...ref, workerId, startedAt, runCreatedAt: run.createdAt });
  calls.emit('taskCompleted', {
    ...ref,
    result: task.result ?? null,
    durationMs: completedAt - startedAt,
    workerId,
    completedAt,
  });
  const released: ReadyTask[] = run.tasks
    .filter((t) => t.dependsOn.includes(task.name) && t.state === 'queued' && t.attempt === 1)
    .map((t) => ({ runId: run.runId, task: t.name, attempt: 1, phase: 'execute', priority: t.priority }));
  const followUps: Envelope[] = [];
  // Not a run end: one still owed is published by the sweeper (it cannot be told apart here).
  const context = { input: run.input, meta: run.meta };
  await effects.apply(
    workflow,
    run.runId,
    calls,
    released,
    undefined,
    context,
    config.clock(),
    trace,
    followUps,
  );
  await calls.settle();
  return followUps.length > 0 ? { status: 'ack', followUps } : { status: 'ack' };
}
