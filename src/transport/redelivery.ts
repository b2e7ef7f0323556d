import type { InvokeOutcome } from './types.js';

/** How a dispatching transport retries an invocation whose handler answered `retry` (or threw). */
export interface RedeliveryOptions {
  /**
   * Deliveries after the first one before the invocation is dropped (and `onDropped` is called).
   * The orchestrator's own leases and retries sit above this; it only stops poison loops.
   */
  maxRedeliveries?: number;
  /** Delay before a redelivery when the handler names none; `deliveries` counts from 1. */
  retryDelayMs?: (deliveries: number) => number;
  /** Called when an invocation is given up after `maxRedeliveries`. */
  onDropped?: (dropped: DroppedInvocation) => void;
}

export interface DroppedInvocation {
  /** The parsed invocation, or the raw payload when it could not be parsed. */
  invocation: unknown;
  deliveries: number;
  error: string;
}

export const DEFAULT_MAX_REDELIVERIES = 10;

/** 100 ms, 200 ms, 400 ms … capped at 10 s. */
export function defaultRetryDelayMs(deliveries: number): number {
  return Math.min(100 * 2 ** Math.max(deliveries - 1, 0), 10_000);
}

/**
 * After a handler answered `retry` on its `deliveries`-th delivery: the delay before the next one,
 * or undefined when the invocation has used them all and is dropped.
 */
export function redeliveryDelay(
  options: RedeliveryOptions,
  deliveries: number,
  requestedDelayMs: number | undefined,
): number | undefined {
  if (deliveries >= 1 + (options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES)) return undefined;
  const delay = requestedDelayMs ?? (options.retryDelayMs ?? defaultRetryDelayMs)(deliveries);
  return Math.max(0, Math.ceil(delay));
}

/** Tells `onDropped` about a dropped invocation. A hook that throws is reported, never rethrown. */
export function reportDropped(
  options: RedeliveryOptions,
  dropped: DroppedInvocation,
  onError: (error: unknown) => void,
): void {
  try {
    options.onDropped?.(dropped);
  } catch (error) {
    onError(error);
  }
}

/** Runs the handler and turns a throw into a `retry` outcome: a crash is not an answer. */
export async function invokeSafely(run: () => Promise<InvokeOutcome>): Promise<InvokeOutcome> {
  try {
    return await run();
  } catch (error) {
    return { status: 'retry', error: error instanceof Error ? error.message : String(error) };
  }
}
