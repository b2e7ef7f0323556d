/**
 * The persisted vocabulary of waooaw: task and run states, priorities, and the transition tables
 * that every Store backend enforces (the Lua scripts and the in-memory twin alike).
 */

export const PRIORITIES = ['CRITICAL', 'HIGH', 'NORMAL', 'LOW'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Lower rank runs first. */
export const PRIORITY_RANK: Record<Priority, number> = { CRITICAL: 0, HIGH: 1, NORMAL: 2, LOW: 3 };

export const TASK_STATES = [
  'pending',
  'queued',
  'running',
  'completed',
  'failed',
  'skipped',
  'cancelled',
  'compensating',
  'compensated',
  'compensation_failed',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const RUN_STATES = [
  'running',
  'compensating',
  'completed',
  'failed',
  'compensated',
  'cancelled',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** Which half of a task an invocation runs: its handler, or its saga compensation. */
export type Phase = 'execute' | 'compensate';

/**
 * Every legal task transition. Anything not listed is refused.
 * - `queued -> queued`: a queued task whose invocation was lost is re-enqueued (same attempt).
 * - `running -> queued`: a retry after backoff (or after a lease expired); the attempt number grows.
 * - `completed -> compensating -> compensated | compensation_failed`: the saga, in reverse topological order.
 * - `compensating -> compensating`: a compensation attempt is retried.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  pending: ['queued', 'skipped', 'cancelled'],
  queued: ['queued', 'running', 'skipped', 'cancelled'],
  running: ['completed', 'queued', 'failed', 'cancelled'],
  completed: ['compensating'],
  failed: [],
  skipped: [],
  cancelled: [],
  compensating: ['compensating', 'compensated', 'compensation_failed'],
  compensated: [],
  compensation_failed: [],
};

/** Every legal run transition. */
export const RUN_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  running: ['completed', 'failed', 'compensating', 'cancelled'],
  compensating: ['compensated', 'failed'],
  completed: [],
  failed: [],
  compensated: [],
  cancelled: [],
};

export const TERMINAL_RUN_STATES: readonly RunState[] = ['completed', 'failed', 'compensated', 'cancelled'];

/**
 * A run's end is owed to the bus until its end event is published: the state change that ends a
 * run also puts `<runId>|#end` in the deadline index, due after RUN_END_GRACE_MS, and the publisher
 * removes it once the event is out. One still there when due (the process ended before publishing)
 * is announced by the sweeper, again every grace period while it stays, at most RUN_END_ANNOUNCES times.
 * (`#` cannot begin a task name.)
 */
export const RUN_END_MARKER = '#end';
/**
 * The same for a final failure (of a task or a compensation step): `<runId>|#failed:<phase>:<task>`
 * until its DLQ entry is recorded, then announced again by the sweeper like a run's end.
 */
export const FAILURE_MARKER = '#failed:';
export const RUN_END_GRACE_MS = 30_000;
export const RUN_END_ANNOUNCES = 10;

export function canTransitionTask(from: TaskState, to: TaskState): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

export function canTransitionRun(from: RunState, to: RunState): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly machine: 'task' | 'run',
    readonly from: string,
    readonly to: string,
  ) {
    super(`illegal ${machine} transition ${from} -> ${to}`);
  }
}

/** Throws {@link IllegalTransitionError} unless `from -> to` is in the task table. */
export function assertTaskTransition(from: TaskState, to: TaskState): void {
  if (!canTransitionTask(from, to)) throw new IllegalTransitionError('task', from, to);
}

/** Throws {@link IllegalTransitionError} unless `from -> to` is in the run table. */
export function assertRunTransition(from: RunState, to: RunState): void {
  if (!canTransitionRun(from, to)) throw new IllegalTransitionError('run', from, to);
}
