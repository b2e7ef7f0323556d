import { describe, expect, it } from 'vitest';
import {
  backoffCeiling,
  NonRetriableError,
  nextRetry,
  RetryAfterError,
  RunCancelledError,
  retryPolicy,
  TaskTimeoutError,
  WorkflowDefinitionError,
} from '../../src/orchestration/index.js';

/** A seeded generator (mulberry32): the same seed always gives the same jitter. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clock = { now: 1_000_000 };

describe('retryPolicy', () => {
  it('applies the documented defaults', () => {
    expect(retryPolicy()).toEqual({
      maxAttempts: 3,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      factor: 2,
      jitter: 'full',
    });
  });

  it.each([
    { maxAttempts: 0 },
    { maxAttempts: 1.5 },
    { baseDelayMs: -1 },
    { maxDelayMs: Number.NaN },
    { factor: 0.5 },
    { jitter: 'some' as 'full' },
    { retryOn: 'yes' as unknown as () => boolean },
  ])('refuses %o', (options) => {
    expect(() => retryPolicy(options)).toThrow(WorkflowDefinitionError);
  });
});

describe('nextRetry', () => {
  it('grows the backoff exponentially without jitter', () => {
    const policy = retryPolicy({ maxAttempts: 10, jitter: 'none' });
    const delays = [1, 2, 3, 4, 5].map((attempt) => nextRetry(policy, attempt, new Error('x'), clock));
    expect(delays).toEqual(
      [1000, 2000, 4000, 8000, 16000].map((d) => ({ retry: true, delayMs: d, at: clock.now + d })),
    );
  });

  it('caps the backoff at maxDelayMs, even for huge attempt numbers', () => {
    const policy = retryPolicy({ maxAttempts: 5000, jitter: 'none', maxDelayMs: 10_000 });
    expect(nextRetry(policy, 5, new Error('x'), clock)).toMatchObject({ delayMs: 10_000 });
    expect(backoffCeiling(policy, 4000)).toBe(10_000);
    expect(backoffCeiling(retryPolicy({ baseDelayMs: 0 }), 4000)).toBe(0);
  });

  it('draws full jitter from the injected random source: random() * ceiling', () => {
    const policy = retryPolicy({ maxAttempts: 10 });
    expect(nextRetry(policy, 1, new Error('x'), { random: () => 0.5, now: 0 })).toEqual({
      retry: true,
      delayMs: 500,
      at: 500,
    });
    expect(nextRetry(policy, 3, new Error('x'), { random: () => 0.25, now: 10 })).toEqual({
      retry: true,
      delayMs: 1000,
      at: 1010,
    });
    expect(nextRetry(policy, 2, new Error('x'), { random: () => 0, now: 0 })).toMatchObject({ delayMs: 0 });
  });

  it('is deterministic under a seeded random source and stays within [0, ceiling)', () => {
    const policy = retryPolicy({ maxAttempts: 20, maxDelayMs: 30_000 });
    const run = (seed: number) => {
      const random = seeded(seed);
      return Array.from({ length: 19 }, (_, i) =>
        nextRetry(policy, i + 1, new Error('x'), { random, now: 0 }),
      );
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    run(7).forEach((decision, i) => {
      expect(decision.retry).toBe(true);
      if (!decision.retry) return;
      expect(decision.delayMs).toBeGreaterThanOrEqual(0);
      expect(decision.delayMs).toBeLessThan(backoffCeiling(policy, i + 1));
      expect(Number.isInteger(decision.delayMs)).toBe(true);
    });
  });

  it('clamps a misbehaving random source into [0, ceiling]', () => {
    const policy = retryPolicy({ maxAttempts: 3 });
    expect(nextRetry(policy, 1, new Error('x'), { random: () => 7, now: 0 })).toMatchObject({
      delayMs: 1000,
    });
    expect(nextRetry(policy, 1, new Error('x'), { random: () => -1, now: 0 })).toMatchObject({ delayMs: 0 });
    expect(nextRetry(policy, 1, new Error('x'), { random: () => Number.NaN, now: 0 })).toMatchObject({
      delayMs: 0,
    });
  });

  it('stops when the attempts are spent (maxAttempts counts the first try)', () => {
    const policy = retryPolicy({ maxAttempts: 3 });
    expect(nextRetry(policy, 2, new Error('x'), clock).retry).toBe(true);
    expect(nextRetry(policy, 3, new Error('x'), clock)).toEqual({ retry: false, reason: 'exhausted' });
    expect(nextRetry({ maxAttempts: 1 }, 1, new Error('x'), clock)).toEqual({
      retry: false,
      reason: 'exhausted',
    });
  });

  it('never retries a NonRetriableError or a cancelled run, whatever retryOn says', () => {
    const policy = retryPolicy({ maxAttempts: 5, retryOn: () => true });
    expect(nextRetry(policy, 1, new NonRetriableError('bad input'), clock)).toEqual({
      retry: false,
      reason: 'non_retriable',
    });
    expect(nextRetry(policy, 1, new RunCancelledError('r1'), clock)).toEqual({
      retry: false,
      reason: 'non_retriable',
    });
  });

  it('recognises a NonRetriableError from another copy of the module by its name', () => {
    const foreign = Object.assign(new Error('x'), { name: 'NonRetriableError' });
    expect(nextRetry({}, 1, foreign, clock)).toEqual({ retry: false, reason: 'non_retriable' });
  });

  it('lets RetryAfterError set the delay but still spend an attempt', () => {
    const policy = retryPolicy({ maxAttempts: 3, maxDelayMs: 1000, retryOn: () => false });
    expect(nextRetry(policy, 1, new RetryAfterError('429', 90_000), clock)).toEqual({
      retry: true,
      delayMs: 90_000,
      at: clock.now + 90_000,
    });
    expect(nextRetry(policy, 3, new RetryAfterError('429', 5), clock)).toEqual({
      retry: false,
      reason: 'exhausted',
    });
    const foreign = Object.assign(new Error('x'), { name: 'RetryAfterError', retryAfterMs: 1234 });
    expect(nextRetry(policy, 1, foreign, clock)).toMatchObject({ delayMs: 1234 });
  });

  it('asks retryOn which errors deserve another attempt', () => {
    const policy = retryPolicy({
      maxAttempts: 3,
      jitter: 'none',
      retryOn: (e) => e instanceof TaskTimeoutError,
    });
    expect(nextRetry(policy, 1, new TaskTimeoutError('t', 10), clock)).toMatchObject({
      retry: true,
      delayMs: 1000,
    });
    expect(nextRetry(policy, 1, new TypeError('bug'), clock)).toEqual({
      retry: false,
      reason: 'not_retryable',
    });
    const throwing = retryPolicy({
      retryOn: () => {
        throw new Error('broken predicate');
      },
    });
    expect(nextRetry(throwing, 1, new Error('x'), clock)).toEqual({ retry: false, reason: 'not_retryable' });
  });

  it('accepts raw options as well as a resolved policy', () => {
    expect(nextRetry({ jitter: 'none', baseDelayMs: 10 }, 2, 'thrown string', { now: 0 })).toEqual({
      retry: true,
      delayMs: 20,
      at: 20,
    });
  });
});
