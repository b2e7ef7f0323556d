/** Why a store call was rejected before anything was written (bad input), or a backend broke its contract. */
export type StoreErrorCode = 'invalid_input' | 'illegal_transition' | 'bad_reply';

/**
 * The one error the store throws for bad input or a broken backend. Refusals that are part of
 * normal life (stale, busy, run_ended) are results, not errors.
 *
 * @example
 * try { await store.createRun(input) } catch (e) { if (e instanceof StoreError && e.code === 'invalid_input') ... }
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly details: { runId?: string; task?: string; command?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
