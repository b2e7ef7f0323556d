import { describe, expect, it } from 'vitest';
import { PRIORITIES } from '../../src/store/model.js';
import type { QueueStats, Store } from '../../src/store/types.js';
import { backends } from './backends.js';
import { LEASE, lease, QUEUED_TIMEOUT, runId, runInput, runTask, T0, task } from './fixtures.js';
import { useStore } from './setup.js';

/** Stats recomputed from the runs themselves: the store's counters must equal these at every step. */
async function countedStats(store: Store, ids: string[]): Promise<QueueStats> {
  const stats: QueueStats = {
    pending: 0,
    queued: 0,
    running: 0,
    completed: 0,
    failed: 0,
    queuedByPriority: Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as QueueStats['queuedByPriority'],
  };
  for (const id of ids) {
    for (const t of (await store.getRun(id))?.tasks ?? []) {
      if (t.state in stats) (stats as unknown as Record<string, number>)[t.state]!++;
      if (t.state === 'queued') stats.queuedByPriority[t.priority]++;
    }
  }
  return stats;
}

const sweep = (store: Store, now: number, limit = 100) =>
  store.expireLeases({ now, limit, queuedTimeoutMs: QUEUED_TIMEOUT });

describe.each(backends)('Store contract: sweeper and stats ($name)', (backend) => {
  const ctx = useStore(backend);

  it('re-enqueues queued tasks whose invocation was lost, with the same attempt', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a'), task('b', [], { priority: 'HIGH' })]));
    expect(await sweep(ctx.store, T0 + QUEUED_TIMEOUT - 1)).toEqual({ requeued: [], expired: [], ready: [] });
    const first = await sweep(ctx.store, T0 + QUEUED_TIMEOUT, 1);
    expect(first.requeued).toHaveLength(1);
    const second = await sweep(ctx.store, T0 + QUEUED_TIMEOUT);
    const all = [...first.requeued, ...second.requeued].sort((x, y) => x.task.localeCompare(y.task));
    expect(all).toEqual([
      { runId: id, task: 'a', attempt: 1, phase: 'execute', priority: 'NORMAL' },
      { runId: id, task: 'b', attempt: 1, phase: 'execute', priority: 'HIGH' },
    ]);
    expect(second.ready).toEqual(second.requeued);
    expect(await sweep(ctx.store, T0 + QUEUED_TIMEOUT + 1)).toEqual({ requeued: [], expired: [], ready: [] });
    expect((await lease(ctx.store, id, 'a', 1, 'execute', T0 + QUEUED_TIMEOUT + 2)).ok).toBe(true);
  });

  it('an expired lease with no attempts left is a final failure', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a', [], { maxAttempts: 1 }), task('b', ['a'])]));
    await lease(ctx.store, id, 'a');
    const swept = await sweep(ctx.store, T0 + LEASE + 5);
    expect(swept.requeued).toEqual([]);
    expect(swept.ready).toEqual([]);
    expect(swept.expired).toEqual([
      {
        runId: id,
        task: 'a',
        attempt: 1,
        phase: 'execute',
        willRetry: false,
        skipped: ['b'],
        run: {
          status: 'failed',
          workflow: 'wf',
          durationMs: LEASE + 5,
          meta: { traceparent: '00-abc-def-01' },
          error: 'lease expired',
          failedTask: 'a',
        },
      },
    ]);
  });

  it('sweeps lost and crashed compensations', async () => {
    const id = runId();
    await ctx.store.createRun(
      runInput(id, [task('a', [], { compensable: true, compensationMaxAttempts: 2 }), task('b', ['a'])]),
    );
    await runTask(ctx.store, id, 'a');
    await lease(ctx.store, id, 'b');
    await ctx.store.failAttempt({
      runId: id,
      task: 'b',
      attempt: 1,
      phase: 'execute',
      error: 'x',
      now: T0 + 10,
    });
    const lost = await sweep(ctx.store, T0 + 10 + QUEUED_TIMEOUT);
    expect(lost.requeued).toEqual([
      { runId: id, task: 'a', attempt: 1, phase: 'compensate', priority: 'NORMAL' },
    ]);
    const now = T0 + 20 + QUEUED_TIMEOUT;
    await lease(ctx.store, id, 'a', 1, 'compensate', now);
    const crashed = await sweep(ctx.store, now + LEASE);
    expect(crashed.expired).toEqual([
      { runId: id, task: 'a', attempt: 1, phase: 'compensate', willRetry: true, skipped: [] },
    ]);
    expect(crashed.ready).toEqual([
      { runId: id, task: 'a', attempt: 2, phase: 'compensate', priority: 'NORMAL', notBefore: now + LEASE },
    ]);
    await lease(ctx.store, id, 'a', 2, 'compensate', now + LEASE);
    const gone = await sweep(ctx.store, now + 2 * LEASE);
    expect(gone.expired[0]).toMatchObject({ willRetry: false, run: { status: 'failed' } });
    expect((await ctx.store.getRun(id))?.tasks[0]?.state).toBe('compensation_failed');
  });

  it('keeps queue stats exact through every transition', async () => {
    const ids: string[] = [];
    const check = async () =>
      expect(await ctx.store.queueStats()).toEqual(await countedStats(ctx.store, ids));
    await check();
    const a = runId();
    ids.push(a);
    await ctx.store.createRun(
      runInput(a, [
        task('x', [], { priority: 'CRITICAL' }),
        task('y', ['x']),
        task('z', ['x'], { priority: 'LOW' }),
      ]),
    );
    await check();
    await lease(ctx.store, a, 'x');
    await check();
    await ctx.store.failAttempt({
      runId: a,
      task: 'x',
      attempt: 1,
      phase: 'execute',
      error: 'e',
      now: T0,
      retryAt: T0 + 1,
    });
    await check();
    await runTask(ctx.store, a, 'x', 2);
    await check();
    await runTask(ctx.store, a, 'y');
    await check();
    await lease(ctx.store, a, 'z');
    await sweep(ctx.store, T0 + LEASE);
    await check();
    const b = runId();
    ids.push(b);
    await ctx.store.createRun(
      runInput(b, [task('p', [], { compensable: true }), task('q', ['p']), task('r', ['p'])]),
    );
    await runTask(ctx.store, b, 'p');
    await check();
    await lease(ctx.store, b, 'q');
    await ctx.store.failAttempt({ runId: b, task: 'q', attempt: 1, phase: 'execute', error: 'e', now: T0 });
    await check();
    const c = runId();
    ids.push(c);
    await ctx.store.createRun(runInput(c, [task('m'), task('n', ['m'])]));
    await ctx.store.cancelRun({ runId: c, now: T0 });
    await check();
    const stats = await ctx.store.queueStats();
    expect(stats.failed).toBe(1);
    expect(stats.queuedByPriority.LOW).toBe(1);
  });
});
