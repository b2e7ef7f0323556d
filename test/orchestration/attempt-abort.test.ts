import { describe, expect, it } from 'vitest';
import { RunCancelledError, TaskTimeoutError } from '../../src/orchestration/errors.js';
import { AttemptAbort } from '../../src/orchestration/runtime/attempt-abort.js';

describe('AttemptAbort', () => {
  it('rejects `aborted` with the first reason, and a signal read before sees it fire', async () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    expect(signal.aborted).toBe(false);
    const timeout = new TaskTimeoutError('charge', 50);
    abort.abort(timeout);
    abort.abort(new RunCancelledError('run_1'));
    await expect(abort.aborted).rejects.toBe(timeout);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(timeout);
  });

  it('is no unhandled rejection when nobody races it', async () => {
    const abort = new AttemptAbort();
    abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(abort.aborted).rejects.toBeInstanceOf(RunCancelledError);
  });
});
