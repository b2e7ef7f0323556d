import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { backends } from './backends.js';
import { lease, runId, runInput, runTask, states, T0, task } from './fixtures.js';
import { useStore } from './setup.js';

const fail = (
  store: Store,
  id: string,
  name: string,
  attempt: number,
  error: string,
  retryAt?: number,
  phase: 'execute' | 'compensate' = 'execute',
) =>
  store.failAttempt({
    runId: id,
    task: name,
    attempt,
    phase,
    error,
    now: T0 + 100,
    ...(retryAt ? { retryAt } : {}),
  });

const compensate = async (store: Store, id: string, name: string, attempt = 1) => {
  const leased = await lease(store, id, name, attempt, 'compensate');
  if (!leased.ok) throw new Error(`compensation lease ${name} refused: ${leased.reason}`);
  return store.completeAttempt({
    runId: id,
    task: name,
    attempt,
    phase: 'compensate',
    result: null,
    now: T0 + 200,
  });
};

describe.each(backends)('Store contract: failure, cancellation, compensation ($name)', (backend) => {
  const ctx = useStore(backend);

  it('a final failure skips pending and queued tasks and waits for running ones', async () => {
    const id = runId();
    await ctx.store.createRun(
      runInput(id, [task('A'), task('B'), task('C'), task('D', ['A']), task('E', ['D'])]),
    );
    await lease(ctx.store, id, 'A');
    await lease(ctx.store, id, 'B');
    const failed = await fail(ctx.store, id, 'A', 1, 'fatal');
    expect(failed).toEqual({ ok: true, willRetry: false, ready: [], skipped: ['C', 'D', 'E'] });
    expect(await states(ctx.store, id)).toEqual({
      A: 'failed',
      B: 'running',
      C: 'skipped',
      D: 'skipped',
      E: 'skipped',
    });
    expect((await ctx.store.getRun(id))?.status).toBe('running');
    expect(await lease(ctx.store, id, 'C')).toEqual({
      ok: false,
      reason: 'stale',
      state: 'skipped',
      attempt: 1,
    });
    const last = await ctx.store.completeAttempt({
      runId: id,
      task: 'B',
      attempt: 1,
      phase: 'execute',
      result: 'b',
      now: T0 + 300,
    });
    expect(last).toEqual({
      ok: true,
      ready: [],
      run: {
        status: 'failed',
        workflow: 'wf',
        durationMs: 300,
        meta: { traceparent: '00-abc-def-01' },
        error: 'fatal',
        failedTask: 'A',
      },
    });
    const view = await ctx.store.getRun(id);
    expect(view).toMatchObject({ status: 'failed', error: 'fatal', endedAt: T0 + 300 });
    expect(view?.tasks.find((t) => t.name === 'A')).toMatchObject({ state: 'failed', error: 'fatal' });
  });

  it('a running task that fails while the run is failing does not retry', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A'), task('B')]));
    await lease(ctx.store, id, 'A');
    await lease(ctx.store, id, 'B');
    await fail(ctx.store, id, 'A', 1, 'first');
    const second = await fail(ctx.store, id, 'B', 1, 'second', T0 + 999);
    expect(second).toMatchObject({ ok: true, willRetry: false, skipped: [] });
    expect(second.ok && second.run).toMatchObject({ status: 'failed', error: 'first', failedTask: 'A' });
  });

  it('cancellation cancels waiting tasks and stops dependents of running ones', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A'), task('B'), task('C', ['A'])]));
    await lease(ctx.store, id, 'A');
    const cancelled = await ctx.store.cancelRun({ runId: id, now: T0 + 50, reason: 'user asked' });
    expect(cancelled).toMatchObject({
      ok: true,
      cancelled: ['B', 'C'],
      run: { status: 'cancelled', durationMs: 50 },
    });
    expect(await lease(ctx.store, id, 'B')).toEqual({
      ok: false,
      reason: 'run_ended',
      state: 'cancelled',
      attempt: 1,
    });
    const done = await ctx.store.completeAttempt({
      runId: id,
      task: 'A',
      attempt: 1,
      phase: 'execute',
      result: 'a',
      now: T0 + 60,
    });
    expect(done).toEqual({ ok: true, ready: [] });
    expect(await states(ctx.store, id)).toEqual({ A: 'completed', B: 'cancelled', C: 'cancelled' });
    const view = await ctx.store.getRun(id);
    expect(view).toMatchObject({ status: 'cancelled', endedAt: T0 + 50, error: 'user asked' });
    expect(await ctx.store.cancelRun({ runId: id, now: T0 + 70 })).toEqual({
      ok: false,
      reason: 'run_ended',
      cancelled: [],
    });
  });

  it('refuses to cancel a failing run, so its saga still runs', async () => {
    const id = runId();
    await ctx.store.createRun(
      runInput(id, [task('A', [], { compensable: true }), task('B', ['A']), task('C', ['A'])]),
    );
    await runTask(ctx.store, id, 'A');
    await lease(ctx.store, id, 'B');
    await lease(ctx.store, id, 'C');
    // B fails for good while C still runs: the run is failing, its saga waits for C.
    expect(await fail(ctx.store, id, 'B', 1, 'broken')).toMatchObject({ ok: true, willRetry: false });
    expect(await ctx.store.cancelRun({ runId: id, now: T0 + 150 })).toEqual({
      ok: false,
      reason: 'compensating',
      cancelled: [],
    });
    const done = await ctx.store.completeAttempt({
      runId: id,
      task: 'C',
      attempt: 1,
      phase: 'execute',
      result: 'c',
      now: T0 + 200,
    });
    // C ends, and the saga starts with A's compensation.
    expect(done).toMatchObject({ ok: true, ready: [{ task: 'A', phase: 'compensate' }] });
    expect((await ctx.store.getRun(id))?.status).toBe('compensating');
  });

  it('a running task that fails after cancellation ends failed without retry', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A')]));
    await lease(ctx.store, id, 'A');
    await ctx.store.cancelRun({ runId: id, now: T0 + 1 });
    expect(await fail(ctx.store, id, 'A', 1, 'late', T0 + 500)).toEqual({
      ok: true,
      willRetry: false,
      ready: [],
      skipped: [],
    });
    expect(await states(ctx.store, id)).toEqual({ A: 'failed' });
  });

  it('compensates completed compensable tasks in reverse topological order, with retries', async () => {
    const id = runId();
    const saga = { compensable: true };
    await ctx.store.createRun(
      runInput(id, [
        task('reserve', [], saga),
        task('audit', ['reserve']),
        task('charge', ['audit'], saga),
        task('ship', ['charge']),
      ]),
    );
    await runTask(ctx.store, id, 'reserve', 1, { id: 'r-1' });
    await runTask(ctx.store, id, 'audit');
    await runTask(ctx.store, id, 'charge', 1, { id: 'c-1' });
    await lease(ctx.store, id, 'ship');
    const failed = await fail(ctx.store, id, 'ship', 1, 'no truck');
    expect(failed).toMatchObject({
      ok: true,
      willRetry: false,
      skipped: [],
      ready: [{ runId: id, task: 'charge', attempt: 1, phase: 'compensate', priority: 'NORMAL' }],
      run: { status: 'compensating', error: 'no truck', failedTask: 'ship' },
    });
    expect((await ctx.store.getRun(id))?.status).toBe('compensating');
    expect(await ctx.store.cancelRun({ runId: id, now: T0 })).toEqual({
      ok: false,
      reason: 'compensating',
      cancelled: [],
    });
    expect(await lease(ctx.store, id, 'charge', 1, 'execute')).toEqual({
      ok: false,
      reason: 'stale',
      state: 'compensating',
      attempt: 1,
    });

    const chargeLease = await lease(ctx.store, id, 'charge', 1, 'compensate');
    expect(chargeLease).toMatchObject({ ok: true, result: { id: 'c-1' }, deps: { audit: 'audit-ok' } });
    expect(await lease(ctx.store, id, 'charge', 1, 'compensate')).toEqual({ ok: false, reason: 'busy' });
    const retry = await fail(ctx.store, id, 'charge', 1, 'psp down', T0 + 1000, 'compensate');
    expect(retry).toEqual({
      ok: true,
      willRetry: true,
      skipped: [],
      ready: [
        {
          runId: id,
          task: 'charge',
          attempt: 2,
          phase: 'compensate',
          priority: 'NORMAL',
          notBefore: T0 + 1000,
        },
      ],
    });
    const charged = await compensate(ctx.store, id, 'charge', 2);
    expect(charged).toEqual({
      ok: true,
      ready: [{ runId: id, task: 'reserve', attempt: 1, phase: 'compensate', priority: 'NORMAL' }],
    });
    const dup = await ctx.store.completeAttempt({
      runId: id,
      task: 'charge',
      attempt: 2,
      phase: 'compensate',
      result: null,
      now: T0,
    });
    expect(dup).toEqual({ ok: false, reason: 'stale' });
    const last = await compensate(ctx.store, id, 'reserve');
    expect(last).toMatchObject({
      ok: true,
      ready: [],
      run: { status: 'compensated', error: 'no truck', failedTask: 'ship' },
    });
    expect(await states(ctx.store, id)).toEqual({
      reserve: 'compensated',
      audit: 'completed',
      charge: 'compensated',
      ship: 'failed',
    });
  });

  it('a compensation that fails for good is recorded and the run ends failed', async () => {
    const id = runId();
    const saga = { compensable: true, compensationMaxAttempts: 1 };
    await ctx.store.createRun(runInput(id, [task('a', [], saga), task('b', ['a'], saga), task('c', ['b'])]));
    await runTask(ctx.store, id, 'a');
    await runTask(ctx.store, id, 'b');
    await lease(ctx.store, id, 'c');
    await fail(ctx.store, id, 'c', 1, 'broken');
    await lease(ctx.store, id, 'b', 1, 'compensate');
    const bFailed = await fail(ctx.store, id, 'b', 1, 'cannot undo', T0 + 1000, 'compensate');
    expect(bFailed).toEqual({
      ok: true,
      willRetry: false,
      skipped: [],
      ready: [{ runId: id, task: 'a', attempt: 1, phase: 'compensate', priority: 'NORMAL' }],
    });
    const end = await compensate(ctx.store, id, 'a');
    expect(end).toMatchObject({
      ok: true,
      ready: [],
      run: { status: 'failed', error: 'broken', failedTask: 'c' },
    });
    expect(await states(ctx.store, id)).toEqual({ a: 'compensated', b: 'compensation_failed', c: 'failed' });
    expect(await lease(ctx.store, id, 'a', 1, 'compensate')).toEqual({
      ok: false,
      reason: 'run_ended',
      state: 'compensated',
      attempt: 1,
    });
  });

  it('a failure with nothing compensable fails the run at once', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a'), task('b', ['a'])]));
    await runTask(ctx.store, id, 'a');
    await lease(ctx.store, id, 'b');
    const failed = await fail(ctx.store, id, 'b', 1, 'x');
    expect(failed).toMatchObject({ ok: true, willRetry: false, ready: [], run: { status: 'failed' } });
  });
});
