import type { TraceCarrier } from '../../observability/tracing.js';
import type { ReadyTask, RunView, TaskState, TaskView } from '../../store/index.js';
import type { Envelope, InvokeOutcome, TaskInvocation } from '../../transport/index.js';
import type { OrchestratorConfig } from './config.js';
import { type BackgroundWork, ListenerCalls } from './lifecycle.js';
import type { AnyWorkflow } from './registry.js';
import type { RunEffects } from './run-effects.js';

/** What the lease's refusal says of the task: its state and its attempt of the asked phase. */
export interface RefusedLease {
  state?: TaskState;
  attempt?: number;
}

/**
 * An invocation delivered again whose attempt already ended: the process that ran it recorded the
 * outcome but was not heard to acknowledge it (it may have stopped first). What that process would
 * have done after recording is done again from the store, under the same event ids (a consumer can
 * drop a second copy), and what it released goes out with this acknowledgement instead of after
 * the sweeper's queued timeout:
 * - a completed task: `task.started` and `task.completed`, and its dependents still waiting for
 *   their first attempt (`task.created`, enqueued); a task whose completion already started its
 *   own compensation the same, while that compensation has not been leased (after, the task's
 *   fields are the compensation's);
 * - a failed attempt whose retry has not started: `task.started` and `task.failed` (will retry),
 *   and the retry, due after its backoff;
 * - a final failure: `task.started` (its `task.failed`, DLQ entry and alert are owed by the run
 *   until recorded: the sweeper reports them, not this);
 * - a compensation step: nothing for one that completed (as the first time), `task.failed` for
 *   one whose retry has not started;
 * - and in every case, the compensation steps waiting for a lease (a failure or a completion
 *   may have started or continued the saga).
 * Anything else (a later attempt under way, a task skipped or cancelled) gets the acknowledgement
 * alone, told by the lease's refusal without reading the run.
 */
export async function recoverEnded(
  config: OrchestratorConfig,
  effects: RunEffects,
  workflow: AnyWorkflow,
  invocation: TaskInvocation,
  refusal: RefusedLease,
  trace: TraceCarrier,
  background?: BackgroundWork,
): Promise<InvokeOutcome> {
  if (!mayHaveEnded(invocation, refusal)) return { status: 'ack' };
  const run = await config.store.getRun(invocation.runId);
  const task = run?.tasks.find((t) => t.name === invocation.task);
  if (!run || !task) return { status: 'ack' };
  const ended = endedAs(invocation, task);
  if (!ended) return { status: 'ack' };
  config.logger.info('attempt ended before, not acknowledged: reporting it again', {
    runId: run.runId,
    task: task.name,
    attempt: invocation.attempt,
    phase: invocation.phase,
    outcome: ended.outcome,
  });
  const now = config.clock();
  const ref = {
    runId: run.runId,
    workflow: workflow.name,
    task: task.name,
    attempt: invocation.attempt,
    phase: invocation.phase,
    meta: trace.traceparent ? { ...run.meta, ...trace } : run.meta,
    recovered: true as const,
  };
  const workerId = task.workerId ?? '';
  const error = task.error ?? '';
  const startedAt = task.startedAt ?? run.createdAt;
  const calls = new ListenerCalls(config.listener, background);
  const released = waitingCompensationSteps(run);
  // The task's own fields still describe this attempt: its start can be reported again.
  if (ended.reportsStart)
    calls.emit('taskStarted', { ...ref, workerId, startedAt, runCreatedAt: run.createdAt });
  if (ended.outcome === 'completed') {
    if (ended.reportsStart) {
      const completedAt = task.endedAt ?? startedAt;
      const durationMs = completedAt - startedAt;
      calls.emit('taskCompleted', { ...ref, result: task.result ?? null, durationMs, workerId, completedAt });
    }
    if (invocation.phase === 'execute') released.push(...waitingDependents(run, task.name));
  } else if (ended.outcome === 'retrying') {
    const nextAttemptAt = task.nextAttemptAt;
    const retry = { willRetry: true, ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }) };
    calls.emit('taskFailed', { ...ref, error, ...retry, workerId, failedAt: now });
    // A compensation step's retry is among the waiting steps already.
    if (invocation.phase === 'execute') released.push(readyOf(run, task, task.attempt, 'execute'));
  }
  const followUps: Envelope[] = [];
  // Not a run end: one still owed is published by the sweeper (it cannot be told apart here).
  const context = { input: run.input, meta: run.meta };
  await effects.apply(workflow, run.runId, calls, released, undefined, context, now, trace, followUps);
  try {
    await calls.settle();
  } catch (error) {
    config.logger.error('lifecycle events reported again not published', {
      runId: run.runId,
      task: task.name,
      error: String(error),
    });
  }
  return followUps.length > 0 ? { status: 'ack', followUps } : { status: 'ack' };
}

const SAGA_STATES: readonly (TaskState | undefined)[] = [
  'compensating',
  'compensated',
  'compensation_failed',
];

/** From the lease's refusal alone: whether this attempt may have ended (else nothing to read). */
function mayHaveEnded({ phase, attempt: n }: TaskInvocation, { state, attempt }: RefusedLease): boolean {
  if (phase === 'execute') {
    return (
      ((state === 'completed' || state === 'failed' || SAGA_STATES.includes(state)) && attempt === n) ||
      (state === 'queued' && attempt === n + 1)
    );
  }
  return (
    ((state === 'compensated' || state === 'compensation_failed') && attempt === n) ||
    (state === 'compensating' && attempt === n + 1)
  );
}

interface Ended {
  outcome: 'completed' | 'retrying' | 'failed';
  /** The task's start and end fields are still this attempt's (so its events can be rebuilt). */
  reportsStart: boolean;
}

/** How the invocation's attempt ended, as the run shows it now; undefined if it has not. */
function endedAs({ phase, attempt: n }: TaskInvocation, task: TaskView): Ended | undefined {
  const step = task.compensation;
  if (phase === 'execute') {
    if (task.state === 'completed' && task.attempt === n) return { outcome: 'completed', reportsStart: true };
    // Completed, then its completion (or a later event) started the saga: intact until leased.
    if (SAGA_STATES.includes(task.state) && task.attempt === n) {
      const untouched = task.state === 'compensating' && step?.attempt === 1 && !step.leased;
      return { outcome: 'completed', reportsStart: untouched };
    }
    if (task.state === 'failed' && task.attempt === n) return { outcome: 'failed', reportsStart: true };
    if (task.state === 'queued' && task.attempt === n + 1 && task.error !== undefined) {
      return { outcome: 'retrying', reportsStart: true };
    }
    return undefined;
  }
  // Compensation steps report neither a start nor a completion (as the first time).
  if (task.state === 'compensated' && step?.attempt === n)
    return { outcome: 'completed', reportsStart: false };
  if (task.state === 'compensation_failed' && step?.attempt === n)
    return { outcome: 'failed', reportsStart: false };
  if (task.state === 'compensating' && step?.attempt === n + 1 && !step.leased) {
    return { outcome: 'retrying', reportsStart: false };
  }
  return undefined;
}
function readyOf(run: RunView, task: TaskView, attempt: number, phase: ReadyTask['phase']): ReadyTask {
  const ready: ReadyTask = { runId: run.runId, task: task.name, attempt, phase, priority: task.priority };
  if (task.nextAttemptAt !== undefined) ready.notBefore = task.nextAttemptAt;
  return ready;
}

/** Dependents of `name` released and still waiting for their first attempt. */
function waitingDependents(run: RunView, name: string): ReadyTask[] {
  return run.tasks
    .filter((t) => t.dependsOn.includes(name) && t.state === 'queued' && t.attempt === 1)
    .map((t) => readyOf(run, t, 1, 'execute'));
}

/** Compensation steps waiting for a lease (enqueued again: a pending copy is dropped as a duplicate). */
function waitingCompensationSteps(run: RunView): ReadyTask[] {
  return run.tasks
    .filter((t) => t.state === 'compensating' && t.compensation && !t.compensation.leased)
    .map((t) => readyOf(run, t, t.compensation!.attempt, 'compensate'));
}
