import { describe, expect, it } from 'vitest';
import { backends } from './backends.js';
import { LEASE, lease, QUEUED_TIMEOUT, runId, runInput, runTask, states, T0, task } from './fixtures.js';
import { useStore } from './setup.js';

describe.each(backends)('Store contract: run lifecycle ($name)', (backend) => {
  const ctx = useStore(backend);

  it('deletes an ended run once its retention has passed, and keeps a running one', async () => {
    const ended = runId();
    const running = runId();
    await ctx.store.createRun({ ...runInput(ended, [task('a')]), retentionMs: 50 });
    await ctx.store.createRun({ ...runInput(running, [task('a')]), retentionMs: 50 });
    await runTask(ctx.store, ended, 'a');
    expect((await ctx.store.getRun(ended))?.status).toBe('completed');
    // Redis expires the keys on its own clock; the memory store purges on the caller's.
    await new Promise((r) => setTimeout(r, 120));
    await ctx.store.expireLeases({ now: T0 + 120, limit: 10, queuedTimeoutMs: QUEUED_TIMEOUT });
    expect(await ctx.store.getRun(ended)).toBeUndefined();
    expect((await ctx.store.getRun(running))?.status).toBe('running');
    // A late duplicate completion finds nothing and writes nothing back.
    expect(
      await ctx.store.completeAttempt({
        runId: ended,
        task: 'a',
        attempt: 1,
        phase: 'execute',
        result: 1,
        now: T0 + 200,
      }),
    ).toEqual({ ok: false, reason: 'not_found' });
    expect(await ctx.store.getRun(ended)).toBeUndefined();
  });

  it('deletes each ended run after its own retention, whatever order they ended in', async () => {
    const long = runId();
    const short = runId();
    await ctx.store.createRun({ ...runInput(long, [task('a')]), retentionMs: 60_000 });
    await ctx.store.createRun({ ...runInput(short, [task('a')]), retentionMs: 50 });
    await runTask(ctx.store, long, 'a');
    await runTask(ctx.store, short, 'a');
    await new Promise((r) => setTimeout(r, 120));
    await ctx.store.expireLeases({ now: T0 + 120, limit: 10, queuedTimeoutMs: QUEUED_TIMEOUT });
    expect(await ctx.store.getRun(short)).toBeUndefined();
    expect((await ctx.store.getRun(long))?.status).toBe('completed');
  });

  it('creates a run once and queues its roots', async () => {
    const id = runId();
    const input = runInput(id, [task('a'), task('b'), task('c', ['a', 'b'])]);
    const first = await ctx.store.createRun(input);
    expect(first.created).toBe(true);
    expect(first.status).toBe('running');
    expect(first.ready).toEqual([
      { runId: id, task: 'a', attempt: 1, phase: 'execute', priority: 'NORMAL' },
      { runId: id, task: 'b', attempt: 1, phase: 'execute', priority: 'NORMAL' },
    ]);
    const again = await ctx.store.createRun({ ...input, workflow: 'other', now: T0 + 5 });
    expect(again).toEqual({ created: false, ready: [], status: 'running' });
    const view = await ctx.store.getRun(id);
    expect(view).toMatchObject({
      runId: id,
      workflow: 'wf',
      status: 'running',
      input: { order: 42 },
      createdAt: T0,
    });
    expect(view?.meta).toEqual({ traceparent: '00-abc-def-01' });
    expect(view?.tasks.map((t) => [t.name, t.state, t.attempt])).toEqual([
      ['a', 'queued', 1],
      ['b', 'queued', 1],
      ['c', 'pending', 0],
    ]);
    expect(view?.tasks[2]?.dependsOn).toEqual(['a', 'b']);
    expect(view?.tasks[0]?.dependsOn).toEqual([]);
  });

  it('refuses invalid runs without writing anything', async () => {
    const id = runId();
    await expect(ctx.store.createRun(runInput(id, [task('a', ['ghost'])]))).rejects.toThrow(
      /unknown task ghost/,
    );
    await expect(ctx.store.createRun(runInput(id, [task('a'), task('a')]))).rejects.toThrow(/duplicate/);
    await expect(ctx.store.createRun(runInput('bad|id', [task('a')]))).rejects.toThrow(/invalid run id/);
    expect(await ctx.store.getRun(id)).toBeUndefined();
  });

  it('releases a chain A -> B -> C in order and completes the run with all results', async () => {
    const id = runId();
    await ctx.store.createRun(
      runInput(id, [task('A'), task('B', ['A']), task('C', ['B'])], { input: [1, 2] }),
    );
    const a = await runTask(ctx.store, id, 'A', 1, { n: 1 });
    expect(a.ready.map((r) => r.task)).toEqual(['B']);
    const leaseB = await lease(ctx.store, id, 'B');
    expect(leaseB).toMatchObject({
      ok: true,
      workflow: 'wf',
      input: [1, 2],
      deps: { A: { n: 1 } },
      attempt: 1,
      runCreatedAt: T0,
    });
    const b = await ctx.store.completeAttempt({
      runId: id,
      task: 'B',
      attempt: 1,
      phase: 'execute',
      result: [],
      now: T0 + 2,
    });
    expect(b).toMatchObject({ ok: true, ready: [{ task: 'C', attempt: 1 }] });
    expect(b.ok && b.run).toBeFalsy();
    const c = await runTask(ctx.store, id, 'C', 1, null, T0 + 10);
    expect(c.ready).toEqual([]);
    expect(c.run).toEqual({
      status: 'completed',
      workflow: 'wf',
      durationMs: 11,
      meta: { traceparent: '00-abc-def-01' },
      results: { A: { n: 1 }, B: [], C: null },
    });
    const view = await ctx.store.getRun(id);
    expect(view?.status).toBe('completed');
    expect(view?.endedAt).toBe(T0 + 11);
    expect(view?.tasks[0]).toMatchObject({
      state: 'completed',
      result: { n: 1 },
      workerId: 'w1',
      startedAt: T0,
      endedAt: T0 + 1,
    });
  });

  it('a duplicate completion of the same attempt changes nothing', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A'), task('B', ['A'])]));
    await runTask(ctx.store, id, 'A', 1, 'first');
    const before = await ctx.store.getRun(id);
    const stats = await ctx.store.queueStats();
    const dup = await ctx.store.completeAttempt({
      runId: id,
      task: 'A',
      attempt: 1,
      phase: 'execute',
      result: 'second',
      now: T0 + 9,
    });
    expect(dup).toEqual({ ok: false, reason: 'stale' });
    expect(await ctx.store.getRun(id)).toEqual(before);
    expect(await ctx.store.queueStats()).toEqual(stats);
  });

  it('refuses unknown runs and tasks', async () => {
    const id = runId();
    expect(await lease(ctx.store, id, 'A')).toEqual({ ok: false, reason: 'not_found' });
    await ctx.store.createRun(runInput(id, [task('A')]));
    expect(await lease(ctx.store, id, 'nope')).toEqual({ ok: false, reason: 'not_found' });
    const input = { runId: id, task: 'nope', attempt: 1, phase: 'execute' as const, now: T0 };
    expect(await ctx.store.completeAttempt({ ...input, result: 1 })).toEqual({
      ok: false,
      reason: 'not_found',
    });
    expect(await ctx.store.failAttempt({ ...input, error: 'x' })).toEqual({ ok: false, reason: 'not_found' });
    expect(await ctx.store.cancelRun({ runId: 'missing', now: T0 })).toEqual({
      ok: false,
      reason: 'not_found',
      cancelled: [],
    });
  });

  it('answers busy to a duplicate lease and stale to a wrong attempt', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A')]));
    expect((await lease(ctx.store, id, 'A')).ok).toBe(true);
    expect(await lease(ctx.store, id, 'A')).toEqual({ ok: false, reason: 'busy' });
    expect(await lease(ctx.store, id, 'A', 1, 'execute', T0 + LEASE * 10)).toEqual({
      ok: false,
      reason: 'busy',
    });
    expect(await lease(ctx.store, id, 'A', 2)).toEqual({
      ok: false,
      reason: 'stale',
      state: 'running',
      attempt: 1,
    });
    expect(await lease(ctx.store, id, 'A', 1, 'compensate')).toEqual({
      ok: false,
      reason: 'stale',
      state: 'running',
      attempt: 0,
    });
  });

  it('a stale attempt cannot complete after its lease expired and it was re-queued', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A'), task('B', ['A'])]));
    await lease(ctx.store, id, 'A');
    const swept = await ctx.store.expireLeases({
      now: T0 + LEASE,
      limit: 100,
      queuedTimeoutMs: QUEUED_TIMEOUT,
    });
    expect(swept.expired).toEqual([
      { runId: id, task: 'A', attempt: 1, phase: 'execute', willRetry: true, skipped: [] },
    ]);
    expect(swept.ready).toEqual([
      { runId: id, task: 'A', attempt: 2, phase: 'execute', priority: 'NORMAL', notBefore: T0 + LEASE },
    ]);
    const late = await ctx.store.completeAttempt({
      runId: id,
      task: 'A',
      attempt: 1,
      phase: 'execute',
      result: 1,
      now: T0 + LEASE + 1,
    });
    expect(late).toEqual({ ok: false, reason: 'stale' });
    expect(await lease(ctx.store, id, 'A', 1)).toEqual({
      ok: false,
      reason: 'stale',
      state: 'queued',
      attempt: 2,
    });
    const view = await ctx.store.getRun(id);
    expect(view?.tasks[0]).toMatchObject({ state: 'queued', attempt: 2, error: 'lease expired' });
    const done = await runTask(ctx.store, id, 'A', 2, 'ok', T0 + LEASE + 2);
    expect(done.ready.map((r) => r.task)).toEqual(['B']);
  });

  it('releases a join task with 50 parents exactly once under concurrent completions', async () => {
    const id = runId();
    const parents = Array.from({ length: 50 }, (_, i) => task(`p${i}`));
    await ctx.raw.createRun(
      runInput(id, [
        ...parents,
        task(
          'join',
          parents.map((p) => p.name),
        ),
      ]),
    );
    await Promise.all(parents.map((p) => lease(ctx.raw, id, p.name)));
    const results = await Promise.all(
      parents.map((p, i) =>
        ctx.raw.completeAttempt({
          runId: id,
          task: p.name,
          attempt: 1,
          phase: 'execute',
          result: i,
          now: T0 + 5,
        }),
      ),
    );
    const released = results.flatMap((r) => (r.ok ? r.ready : []));
    expect(released).toEqual([{ runId: id, task: 'join', attempt: 1, phase: 'execute', priority: 'NORMAL' }]);
    expect(results.every((r) => r.ok)).toBe(true);
    const joinLease = await lease(ctx.raw, id, 'join');
    expect(joinLease.ok && Object.keys(joinLease.deps).length).toBe(50);
    expect(joinLease.ok && joinLease.deps.p7).toBe(7);
  });

  it('retries an attempt at retryAt and caps retries at maxAttempts', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('A', [], { maxAttempts: 2 }), task('B', ['A'])]));
    await lease(ctx.store, id, 'A');
    const first = await ctx.store.failAttempt({
      runId: id,
      task: 'A',
      attempt: 1,
      phase: 'execute',
      error: 'boom',
      now: T0 + 1,
      retryAt: T0 + 1000,
    });
    expect(first).toEqual({
      ok: true,
      willRetry: true,
      ready: [
        { runId: id, task: 'A', attempt: 2, phase: 'execute', priority: 'NORMAL', notBefore: T0 + 1000 },
      ],
      skipped: [],
    });
    const again = await ctx.store.failAttempt({
      runId: id,
      task: 'A',
      attempt: 1,
      phase: 'execute',
      error: 'boom',
      now: T0 + 2,
    });
    expect(again).toEqual({ ok: false, reason: 'stale' });
    expect(await states(ctx.store, id)).toEqual({ A: 'queued', B: 'pending' });
    // The run view says when the waiting retry starts, until it does.
    const waiting = await ctx.store.getRun(id);
    expect(waiting?.tasks.map((t) => t.nextAttemptAt)).toEqual([T0 + 1000, undefined]);
    await lease(ctx.store, id, 'A', 2, 'execute', T0 + 1000);
    expect((await ctx.store.getRun(id))?.tasks[0]).not.toHaveProperty('nextAttemptAt');
    const last = await ctx.store.failAttempt({
      runId: id,
      task: 'A',
      attempt: 2,
      phase: 'execute',
      error: 'boom2',
      now: T0 + 1001,
      retryAt: T0 + 5000,
    });
    expect(last).toMatchObject({ ok: true, willRetry: false, skipped: ['B'], ready: [] });
    expect(last.ok && last.run).toMatchObject({
      status: 'failed',
      error: 'boom2',
      failedTask: 'A',
      durationMs: 1001,
    });
  });

  it('keeps priorities on ready tasks', async () => {
    const id = runId();
    const created = await ctx.store.createRun(
      runInput(id, [task('a', [], { priority: 'CRITICAL' }), task('b', [], { priority: 'LOW' })]),
    );
    expect(created.ready.map((r) => r.priority)).toEqual(['CRITICAL', 'LOW']);
  });
});
