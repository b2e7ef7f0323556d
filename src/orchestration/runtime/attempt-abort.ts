import { RunCancelledError } from '../errors.js';

/**
 * How a running attempt is stopped (timeout or cancellation): the signal task code sees fires, and
 * `aborted`, which the engine races against the task, rejects with the same reason. Rejecting
 * directly spares a listener on the signal per attempt (EventTarget listeners are slow in Node).
 */
export class AttemptAbort {
  /** Rejects with the abort reason; never resolves. */
  readonly aborted: Promise<never>;
  private readonly controller = new AbortController();
  private reject!: (reason: unknown) => void;

  constructor() {
    this.aborted = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    // Nobody may be racing it any more (the task settled first): a late abort is not an error.
    this.aborted.catch(() => {});
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first reason wins; later calls do nothing. */
  abort(reason: unknown = new RunCancelledError('aborted')): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.reject(reason);
  }
}
