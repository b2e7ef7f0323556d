import { describe, expect, it } from 'vitest';
import { BackgroundWork, ListenerCalls } from '../../src/orchestration/runtime/lifecycle.js';
import { gate } from '../support/wait.js';

const ref = { runId: 'r', workflow: 'w', task: 't', attempt: 1, phase: 'execute' as const, meta: {} };

describe('ListenerCalls', () => {
  it('keeps a call that fails before settle() from being an unhandled rejection, and settle() reports it', async () => {
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    try {
      const calls = new ListenerCalls({ taskStarted: () => Promise.reject(new Error('log down')) });
      calls.emit('taskStarted', { ...ref, workerId: 'w', startedAt: 0, runCreatedAt: 0 });
      // The task runs meanwhile; Node checks for unhandled rejections between turns.
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      await expect(calls.settle()).rejects.toThrow('log down');
    } finally {
      process.off('unhandledRejection', hear);
    }
  });

  it('in detached mode acknowledges before lifecycle events, but never before a critical call', async () => {
    const events = gate();
    const dlq = gate();
    const background = new BackgroundWork();
    const calls = new ListenerCalls(
      {
        taskStarted: () => events.opened,
        taskFailed: () => dlq.opened,
      },
      background,
    );
    calls.emit('taskStarted', { ...ref, workerId: 'w', startedAt: 0, runCreatedAt: 0 });
    calls.emit(
      'taskFailed',
      { ...ref, error: 'boom', willRetry: false, workerId: 'w', failedAt: 1 },
      { critical: true },
    );
    let settled = false;
    const settling = calls.settle().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    dlq.open();
    await settling;
    // The lifecycle event is still being published; a draining process waits for it.
    expect(background.size).toBe(1);
    let drained = false;
    const draining = background.drain().then(() => {
      drained = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    events.open();
    await draining;
    expect(background.size).toBe(0);
  });

  it('without background work waits for every call', async () => {
    const slow = gate();
    const calls = new ListenerCalls({ taskStarted: () => slow.opened });
    calls.emit('taskStarted', { ...ref, workerId: 'w', startedAt: 0, runCreatedAt: 0 });
    let settled = false;
    const settling = calls.settle().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    slow.open();
    await settling;
  });
});
