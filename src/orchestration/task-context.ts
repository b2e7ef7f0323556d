/**
 * What task code receives. Types only: the engine builds these objects for each attempt.
 */
import type { RunMeta } from '../store/index.js';

/** Structured log lines, tagged by the engine with the run, task and attempt. */
export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One attempt of one task of one run.
 *
 * @example
 * .task('charge', { dependsOn: ['createAccount'] }, async (ctx) => {
 *   ctx.logger.info('charging', { account: ctx.deps.createAccount.accountId });
 *   return stripe.charge({ idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
 * })
 */
export interface TaskContext<Input = unknown, Deps = Record<string, unknown>> {
  /** The run input, as parsed by the workflow's `input` schema. */
  readonly input: Input;
  /** Results of the task's direct dependencies, by task name (and nothing else). */
  readonly deps: Readonly<Deps>;
  readonly runId: string;
  readonly workflow: string;
  readonly taskName: string;
  /** 1 on the first try, growing with each retry. */
  readonly attempt: number;
  /**
   * Stable for this run and task across every attempt (and redelivery): pass it to the APIs you call
   * so that side effects happen once although delivery is at-least-once.
   */
  readonly idempotencyKey: string;
  readonly logger: TaskLogger;
  /** Aborted when the attempt times out (reason: `TaskTimeoutError`) or the run is cancelled (`RunCancelledError`). */
  readonly signal: AbortSignal;
  /** Trace and correlation context carried from the event that started the run (`traceparent`, `correlationid`...). */
  readonly meta: Readonly<RunMeta>;
}

/** The saga step of a task: the task's context plus the result it had completed with. */
export interface CompensationContext<Input = unknown, Deps = Record<string, unknown>, Result = unknown>
  extends TaskContext<Input, Deps> {
  /** What the task's handler returned. */
  readonly result: Result;
}

/** A task's code. Its (awaited) return value must be JSON-serialisable: it is stored and given to dependents. */
export type TaskHandler<Input = unknown, Deps = Record<string, unknown>, Result = unknown> = (
  ctx: TaskContext<Input, Deps>,
) => Result | Promise<Result>;

/** Undoes a completed task when a later task fails for good. Runs in reverse topological order. */
export type CompensationHandler<Input = unknown, Deps = Record<string, unknown>, Result = unknown> = (
  ctx: CompensationContext<Input, Deps, Result>,
) => unknown;

/** What a concurrency key is computed from: known before the attempt is leased. */
export interface ConcurrencyKeyContext<Input = unknown> {
  readonly input: Input;
  readonly runId: string;
  readonly workflow: string;
  readonly taskName: string;
  readonly meta: Readonly<RunMeta>;
}

/**
 * At most `limit` attempts of this task run at once, across all runs; with `key`, at most `limit`
 * per key (per customer, per tenant...).
 */
export interface ConcurrencyOptions<Input = unknown> {
  limit: number;
  // Method syntax, so that a workflow typed by its input still fits `WorkflowDefinition<unknown>`.
  key?(ctx: ConcurrencyKeyContext<Input>): string;
}
