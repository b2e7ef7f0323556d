/**
 * The orchestration's vocabulary of failure. Control flow (do not retry, retry later, cancelled,
 * timed out) has its own classes so that the engine never has to guess from a message.
 * Every class sets `name` and accepts `{ cause }`.
 */

export interface ErrorOptions {
  cause?: unknown;
}

/**
 * Thrown by task code when another attempt cannot succeed (bad input, a 4xx answer...).
 * The task fails at once, whatever attempts remain.
 *
 * @example
 * if (!user) throw new NonRetriableError(`no user ${ctx.input.userId}`);
 */
export class NonRetriableError extends Error {
  override readonly name: string = 'NonRetriableError';
}

/**
 * Thrown by task code to be retried after a given delay (a rate limit's `Retry-After`).
 * The delay replaces the backoff of the retry policy; the attempt still counts.
 *
 * @example
 * if (res.status === 429) throw new RetryAfterError('rate limited', 30_000);
 */
export class RetryAfterError extends Error {
  override readonly name: string = 'RetryAfterError';
  /** Milliseconds to wait before the next attempt (>= 0). */
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.ceil(retryAfterMs) : 0;
  }
}

/**
 * An attempt ran past its task's `timeout`. Retried like any other failure.
 *
 * @example
 * new TaskTimeoutError('provisionDb', 5_000).message; // "task 'provisionDb' timed out after 5000 ms"
 */
export class TaskTimeoutError extends Error {
  override readonly name: string = 'TaskTimeoutError';

  constructor(
    readonly taskName: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`task '${taskName}' timed out after ${timeoutMs} ms`, options);
  }
}

/**
 * The run was cancelled while the task ran; never retried.
 *
 * @example
 * ctx.signal.addEventListener('abort', () => console.log(ctx.signal.reason)); // a RunCancelledError
 */
export class RunCancelledError extends Error {
  override readonly name: string = 'RunCancelledError';

  constructor(
    readonly runId: string,
    readonly reason?: string,
    options?: ErrorOptions,
  ) {
    super(`run '${runId}' was cancelled${reason ? `: ${reason}` : ''}`, options);
  }
}

/** What is wrong with a workflow definition; stable, for tests and tooling. */
export type WorkflowDefinitionErrorCode =
  | 'invalid_name'
  | 'invalid_option'
  | 'duplicate_task'
  | 'duplicate_workflow'
  | 'duplicate_dependency'
  | 'self_dependency'
  | 'unknown_dependency'
  | 'cycle';

export interface WorkflowDefinitionErrorOptions extends ErrorOptions {
  code: WorkflowDefinitionErrorCode;
  /** The task at fault, when there is one. */
  task?: string;
  /** The dependency at fault (unknown, duplicated or the task itself). */
  dependency?: string;
  /** For `cycle`: the path, first name repeated last (`['a', 'b', 'a']`). */
  cycle?: string[];
}

/**
 * A workflow or task definition is invalid. Raised when the workflow is defined, never at run time.
 *
 * @example
 * try { validateDag(nodes) } catch (e) { if (e instanceof WorkflowDefinitionError) console.log(e.cycle) }
 */
export class WorkflowDefinitionError extends Error {
  override readonly name: string = 'WorkflowDefinitionError';
  readonly code: WorkflowDefinitionErrorCode;
  readonly task?: string;
  readonly dependency?: string;
  readonly cycle?: string[];

  constructor(message: string, { code, task, dependency, cycle, cause }: WorkflowDefinitionErrorOptions) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    if (task !== undefined) this.task = task;
    if (dependency !== undefined) this.dependency = dependency;
    if (cycle !== undefined) this.cycle = cycle;
  }
}

/**
 * A run's input does not match the workflow's `input` schema. The run is not created.
 *
 * @example
 * try { wf.parseInput({}) } catch (e) { if (e instanceof InvalidInputError) return c.json({ error: e.message }, 400) }
 */
export class InvalidInputError extends Error {
  override readonly name: string = 'InvalidInputError';

  constructor(
    readonly workflow: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`invalid input for workflow '${workflow}': ${detail}`, options);
  }
}

/**
 * True for a {@link NonRetriableError} or a {@link RunCancelledError}, also when the error comes from
 * another copy of this module (bundles can hold two), hence the check by name.
 */
export function isNonRetriable(error: unknown): boolean {
  return (
    error instanceof NonRetriableError ||
    error instanceof RunCancelledError ||
    nameOf(error) === 'NonRetriableError' ||
    nameOf(error) === 'RunCancelledError'
  );
}

/** The requested delay when `error` is a {@link RetryAfterError} (from any copy of this module). */
export function retryAfterOf(error: unknown): number | undefined {
  if (error instanceof RetryAfterError) return error.retryAfterMs;
  if (nameOf(error) !== 'RetryAfterError') return undefined;
  const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

const MAX_CAUSE_DEPTH = 3;

/**
 * The one-line form of anything thrown, as carried by `orchestration.task.failed` events:
 * `Name: message`, followed by its causes (`[cause: Name: message]`). Never throws, whatever was thrown.
 *
 * @example
 * serializeError(new TypeError('boom', { cause: new Error('disk') })); // "TypeError: boom [cause: Error: disk]"
 * serializeError('plain string'); // "plain string"
 */
export function serializeError(error: unknown, { maxLength = 4_000 }: { maxLength?: number } = {}): string {
  const text = describe(error, 0);
  return text.length > maxLength ? `${text.slice(0, Math.max(0, maxLength - 1))}…` : text;
}

function describe(error: unknown, depth: number): string {
  try {
    if (typeof error === 'string') return error;
    if (error === null || typeof error !== 'object') return String(error);
    const { name, message } = error as { name?: unknown; message?: unknown };
    if (typeof message !== 'string') return json(error);
    const label = typeof name === 'string' && name ? name : 'Error';
    let text = message ? `${label}: ${message}` : label;
    const cause = (error as { cause?: unknown }).cause;
    if (cause !== undefined && depth < MAX_CAUSE_DEPTH) text += ` [cause: ${describe(cause, depth + 1)}]`;
    return text;
  } catch {
    return 'Unserializable error';
  }
}

function json(value: object): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function nameOf(error: unknown): unknown {
  try {
    return typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  } catch {
    return undefined;
  }
}
