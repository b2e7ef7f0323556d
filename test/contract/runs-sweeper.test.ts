import { describe, expect, it } from 'vitest';
import { PRIORITIES, RUN_END_ANNOUNCES, RUN_END_GRACE_MS } from '../../src/store/model.js';
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
    expect(await sweep(ctx.store, T0 + QUEUED_TIMEOUT - 1)).toEqual({
      requeued: [],
      expired: [],
      ready: [],
      unannounced: [],
      unrecorded: [],
    });
    const first = await sweep(ctx.store, T0 + QUEUED_TIMEOUT, 1);
    expect(first.requeued).toHaveLength(1);
    const second = await sweep(ctx.store, T0 + QUEUED_TIMEOUT);
    const all = [...first.requeued, ...second.requeued].sort((x, y) => x.task.localeCompare(y.task));
    expect(all).toEqual([
      { runId: id, task: 'a', attempt: 1, phase: 'execute', priority: 'NORMAL' },
      { runId: id, task: 'b', attempt: 1, phase: 'execute', priority: 'HIGH' },
    ]);
    expect(second.ready).toEqual(second.requeued);
    expect(await sweep(ctx.store, T0 + QUEUED_TIMEOUT + 1)).toEqual({
      requeued: [],
      expired: [],
      ready: [],
      unannounced: [],
      unrecorded: [],
    });
    expect((await lease(ctx.store, id, 'a', 1, 'execute', T0 + QUEUED_TIMEOUT + 2)).ok).toBe(true);
  });

  it("owes a run's end to the bus until it is announced, then stops", async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a')], { input: { n: 1 }, meta: { correlationid: 'c-1' } }));
    // Completed at T0 + 101.
    const done = await runTask(ctx.store, id, 'a', 1, { v: 1 }, T0 + 100);
    expect(done.run?.status).toBe('completed');
    // Within the grace period the publisher has it.
    expect((await sweep(ctx.store, T0 + 101 + RUN_END_GRACE_MS - 1)).unannounced).toEqual([]);
    // Past it, the sweeper has it, with the outcome as it was at the end (duration to the end).
    const late = T0 + 101 + RUN_END_GRACE_MS;
    const owed = await sweep(ctx.store, late);
    expect(owed.unannounced).toEqual([{ runId: id, endedAt: T0 + 101, run: done.run }]);
    expect(owed.unannounced?.[0]?.run.durationMs).toBe(101);
    // Not again until another grace period passed (the announcement may not get out either).
    expect((await sweep(ctx.store, late + 1)).unannounced).toEqual([]);
    expect((await sweep(ctx.store, late + RUN_END_GRACE_MS)).unannounced?.map((u) => u.runId)).toEqual([id]);
    await ctx.store.runAnnounced(id);
    await ctx.store.runAnnounced(id);
    expect((await sweep(ctx.store, late + 10 * RUN_END_GRACE_MS)).unannounced).toEqual([]);
  });

  it("announces a run's end after the run's own grace period", async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a')], { endGraceMs: 500 }));
    await runTask(ctx.store, id, 'a');
    expect((await sweep(ctx.store, T0 + 500)).unannounced).toEqual([]);
    expect((await sweep(ctx.store, T0 + 501)).unannounced?.map((u) => u.runId)).toEqual([id]);
    expect((await sweep(ctx.store, T0 + 1000)).unannounced).toEqual([]);
    expect((await sweep(ctx.store, T0 + 1001)).unannounced?.map((u) => u.runId)).toEqual([id]);
  });

  it('owes a final failure to the DLQ until it is recorded, for a task and for a compensation step', async () => {
    const id = runId();
    await ctx.store.createRun(
      runInput(
        id,
        [
          task('a', [], { compensable: true, compensationMaxAttempts: 1 }),
          task('b', ['a'], { maxAttempts: 1 }),
        ],
        {
          meta: { correlationid: 'c-2' },
        },
      ),
    );
    await runTask(ctx.store, id, 'a');
    await lease(ctx.store, id, 'b', 1, 'execute', T0 + 10);
    const failed = await ctx.store.failAttempt({
      runId: id,
      task: 'b',
      attempt: 1,
      phase: 'execute',
      error: 'b broke',
      now: T0 + 20,
    });
    expect(failed.ok).toBe(true);
    // The saga starts: `a`'s step fails for good too.
    await lease(ctx.store, id, 'a', 1, 'compensate', T0 + 30);
    const undone = await ctx.store.failAttempt({
      runId: id,
      task: 'a',
      attempt: 1,
      phase: 'compensate',
      error: 'no undo',
      now: T0 + 40,
    });
    expect(undone.ok).toBe(true);
    expect((await sweep(ctx.store, T0 + 20 + RUN_END_GRACE_MS - 1)).unrecorded).toEqual([]);
    const owed = await sweep(ctx.store, T0 + 40 + RUN_END_GRACE_MS);
    const byTask = Object.fromEntries((owed.unrecorded ?? []).map((f) => [`${f.task}:${f.phase}`, f]));
    expect(byTask['b:execute']).toEqual({
      runId: id,
      workflow: 'wf',
      meta: { correlationid: 'c-2' },
      task: 'b',
      phase: 'execute',
      attempt: 1,
      error: 'b broke',
      workerId: 'w1',
      endedAt: T0 + 20,
    });
    expect(byTask['a:compensate']).toMatchObject({
      phase: 'compensate',
      attempt: 1,
      error: 'no undo',
      endedAt: T0 + 40,
    });
    await ctx.store.failureRecorded(id, 'b', 'execute');
    const later = await sweep(ctx.store, T0 + 40 + 3 * RUN_END_GRACE_MS);
    expect((later.unrecorded ?? []).map((f) => `${f.task}:${f.phase}`)).toEqual(['a:compensate']);
  });

  it("gives up announcing a run's end after a bounded number of tries", async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a')]));
    await runTask(ctx.store, id, 'a');
    const announced: number[] = [];
    for (let i = 1; i <= RUN_END_ANNOUNCES + 2; i++) {
      // Completed at T0 + 1.
      announced.push((await sweep(ctx.store, T0 + 1 + i * RUN_END_GRACE_MS)).unannounced?.length ?? 0);
    }
    expect(announced).toEqual([...Array(RUN_END_ANNOUNCES).fill(1), 0, 0]);
  });

  it('owes the end of a cancelled run, and of a run that ended in the sweeper, too', async () => {
    const cancelled = runId();
    await ctx.store.createRun(runInput(cancelled, [task('a')]));
    expect((await ctx.store.cancelRun({ runId: cancelled, now: T0 + 5, reason: 'stop' })).ok).toBe(true);
    const expired = runId();
    await ctx.store.createRun(runInput(expired, [task('b', [], { maxAttempts: 1 })]));
    await lease(ctx.store, expired, 'b');
    expect((await sweep(ctx.store, T0 + LEASE + 1)).expired[0]?.run?.status).toBe('failed');
    const owed = await sweep(ctx.store, T0 + LEASE + 1 + RUN_END_GRACE_MS);
    const byRun = Object.fromEntries((owed.unannounced ?? []).map((u) => [u.runId, u]));
    expect(byRun[cancelled]).toMatchObject({ endedAt: T0 + 5, run: { status: 'cancelled', error: 'stop' } });
    expect(byRun[expired]).toMatchObject({
      endedAt: T0 + LEASE + 1,
      run: { status: 'failed', error: 'lease expired', failedTask: 'b' },
    });
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
