/**
 * Retry policies: how many attempts a task gets and how long to wait between them.
 * Pure: the random source and the clock are passed in, so every decision can be replayed in a test.
 */
import { isNonRetriable, retryAfterOf, WorkflowDefinitionError } from './errors.js';

export type Jitter = 'full' | 'none';

export interface RetryOptions {
  /** Total attempts, first try included (>= 1). Default 3. */
  maxAttempts?: number;
  /** Backoff before the second attempt, in ms. Default 1000. */
  baseDelayMs?: number;
  /** Backoff ceiling, in ms. Default 60 000. */
  maxDelayMs?: number;
  /** Growth of the backoff per attempt (>= 1). Default 2. */
  factor?: number;
  /** `full`: wait a random time between 0 and the backoff (spreads retries of many runs). Default `full`. */
  jitter?: Jitter;
  /**
   * Which errors deserve another attempt (default: all). Not consulted for a `RetryAfterError`,
   * which asks for a retry explicitly. A predicate that throws counts as "do not retry".
   */
  retryOn?: (error: unknown) => boolean;
}

/** Options with their defaults applied and checked. */
export interface RetryPolicy extends Required<Omit<RetryOptions, 'retryOn'>> {
  retryOn?: (error: unknown) => boolean;
}

export type RetryDecision =
  /** Run attempt `attempt + 1` at `at` (epoch ms), `delayMs` from now. */
  | { retry: true; delayMs: number; at: number }
  /**
   * - `exhausted`: no attempt left;
   * - `non_retriable`: a `NonRetriableError` (or the run was cancelled);
   * - `not_retryable`: `retryOn` declined the error.
   */
  | { retry: false; reason: 'exhausted' | 'non_retriable' | 'not_retryable' };

export interface RetryClock {
  /** Returns a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Epoch ms. Default `Date.now()`. */
  now?: number;
}

/**
 * Applies the defaults and checks the options; throws a `WorkflowDefinitionError` on nonsense
 * (so a bad policy fails when the workflow is defined, not on its first failure).
 *
 * @example
 * retryPolicy({ maxAttempts: 5 }); // { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60000, factor: 2, jitter: 'full' }
 */
export function retryPolicy({
  maxAttempts = 3,
  baseDelayMs = 1_000,
  maxDelayMs = 60_000,
  factor = 2,
  jitter = 'full',
  retryOn,
}: RetryOptions = {}): RetryPolicy {
  check(
    Number.isInteger(maxAttempts) && maxAttempts >= 1,
    `maxAttempts must be an integer >= 1, got ${maxAttempts}`,
  );
  check(isDelay(baseDelayMs), `baseDelayMs must be a finite number >= 0, got ${baseDelayMs}`);
  check(isDelay(maxDelayMs), `maxDelayMs must be a finite number >= 0, got ${maxDelayMs}`);
  check(Number.isFinite(factor) && factor >= 1, `factor must be a finite number >= 1, got ${factor}`);
  check(jitter === 'full' || jitter === 'none', `jitter must be 'full' or 'none', got ${String(jitter)}`);
  check(retryOn === undefined || typeof retryOn === 'function', 'retryOn must be a function');
  const policy: RetryPolicy = { maxAttempts, baseDelayMs, maxDelayMs, factor, jitter };
  if (retryOn) policy.retryOn = retryOn;
  return policy;
}

/**
 * The backoff ceiling before attempt `attempt + 1`: `min(maxDelayMs, baseDelayMs * factor^(attempt - 1))`.
 *
 * @example
 * backoffCeiling(retryPolicy(), 3); // 4000
 */
export function backoffCeiling(policy: RetryPolicy, attempt: number): number {
  if (policy.baseDelayMs === 0) return 0;
  const exponential = policy.baseDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Number.isFinite(exponential) ? Math.min(policy.maxDelayMs, exponential) : policy.maxDelayMs;
}

/**
 * Decides what follows the failure of attempt `attempt` (1-based) with `error`.
 * Order: a non-retriable error never retries; then `retryOn`; then the attempt budget.
 * A `RetryAfterError` sets the delay itself and skips `retryOn`, but still spends an attempt.
 *
 * @example
 * nextRetry(retryPolicy(), 1, new Error('503'), { random: () => 0.5, now: 0 }); // { retry: true, delayMs: 500, at: 500 }
 */
export function nextRetry(
  policy: RetryPolicy | RetryOptions,
  attempt: number,
  error: unknown,
  { random = Math.random, now = Date.now() }: RetryClock = {},
): RetryDecision {
  const resolved = retryPolicy(policy);
  if (isNonRetriable(error)) return { retry: false, reason: 'non_retriable' };
  const retryAfter = retryAfterOf(error);
  if (retryAfter === undefined && resolved.retryOn && !accepts(resolved.retryOn, error)) {
    return { retry: false, reason: 'not_retryable' };
  }
  if (attempt >= resolved.maxAttempts) return { retry: false, reason: 'exhausted' };
  const delayMs = retryAfter ?? jittered(resolved, attempt, random);
  return { retry: true, delayMs, at: now + delayMs };
}

function jittered(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = backoffCeiling(policy, attempt);
  if (policy.jitter === 'none') return Math.round(ceiling);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

function accepts(retryOn: (error: unknown) => boolean, error: unknown): boolean {
  try {
    return retryOn(error) === true;
  } catch {
    return false;
  }
}

function isDelay(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0;
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new WorkflowDefinitionError(`invalid retry policy: ${message}`, { code: 'invalid_option' });
}
