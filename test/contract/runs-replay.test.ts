/**
 * A state change sent again with its token, after its reply was lost (a dropped connection), is not
 * made twice: it answers with its effects again. Without the token (or with another one) a second
 * call is a duplicate and is refused as before.
 */
import { describe, expect, it } from 'vitest';
import type { Phase, Store } from '../../src/index.js';
import { backends } from './backends.js';
import { LEASE, runId, runInput, states, T0, task } from './fixtures.js';
import { useStore } from './setup.js';

/** Which attempt a call is about: the first execution unless said otherwise. */
interface Attempt {
  attempt?: number;
  phase?: Phase;
}
const at = (runId: string, task: string, { attempt = 1, phase = 'execute' }: Attempt = {}) => ({
  runId,
  task,
  attempt,
  phase,
});

const leaseWith = (store: Store, id: string, name: string, token: string, which?: Attempt) =>
  store.leaseAttempt({ ...at(id, name, which), workerId: 'w1', now: T0, leaseMs: LEASE, token });

const completeWith = (store: Store, id: string, name: string, token: string, which?: Attempt) =>
  store.completeAttempt({ ...at(id, name, which), result: `${name}-ok`, now: T0 + 1, token });

const failWith = (store: Store, id: string, name: string, token: string, retryAt?: number, which?: Attempt) =>
  store.failAttempt({
    ...at(id, name, which),
    error: 'boom',
    now: T0 + 1,
    token,
    ...(retryAt ? { retryAt } : {}),
  });

describe.each(backends)('Store contract: replays of calls whose reply was lost ($name)', (backend) => {
  const ctx = useStore(backend);

  it('creates a run once; the same call again answers created, with the roots still waiting', async () => {
    const id = runId();
    const input = { ...runInput(id, [task('a'), task('b'), task('c', ['a', 'b'])]), token: 'create-1' };
    const first = await ctx.store.createRun(input);
    expect(await ctx.store.createRun(input)).toEqual(first);
    // Another trigger of the same run is a duplicate.
    expect(await ctx.store.createRun({ ...input, token: 'create-2' })).toEqual({
      created: false,
      ready: [],
      status: 'running',
    });
    await leaseWith(ctx.store, id, 'a', 'lease-a');
    expect((await ctx.store.createRun(input)).ready.map((r) => r.task)).toEqual(['b']);
  });

  it('answers a lease asked again with the same token as the first time, and busy to anyone else', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a'), task('b', ['a'])], { input: { n: 1 } }));
    const first = await leaseWith(ctx.store, id, 'a', 'lease-1');
    expect(first.ok).toBe(true);
    expect(await leaseWith(ctx.store, id, 'a', 'lease-1')).toEqual(first);
    expect(await leaseWith(ctx.store, id, 'a', 'lease-2')).toEqual({ ok: false, reason: 'busy' });
    expect(await leaseWith(ctx.store, id, 'a', '')).toEqual({ ok: false, reason: 'busy' });
    expect((await ctx.store.queueStats()).running).toBeGreaterThanOrEqual(1);
    expect(await states(ctx.store, id)).toEqual({ a: 'running', b: 'pending' });
  });

  it('answers a completion sent again with what it released and the run it ended, changing nothing', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a'), task('b', ['a']), task('c', ['a'])]));
    await leaseWith(ctx.store, id, 'a', 'lease-a');
    const first = await completeWith(ctx.store, id, 'a', 'lease-a');
    expect(first.ok && first.ready.map((r) => r.task)).toEqual(['b', 'c']);
    const stats = await ctx.store.queueStats();
    expect(await completeWith(ctx.store, id, 'a', 'lease-a')).toEqual(first);
    expect(await ctx.store.queueStats()).toEqual(stats);
    expect(await completeWith(ctx.store, id, 'a', 'other')).toEqual({ ok: false, reason: 'stale' });

    // Once b started, it is no longer waiting: the replay releases only c.
    await leaseWith(ctx.store, id, 'b', 'lease-b');
    const again = await completeWith(ctx.store, id, 'a', 'lease-a');
    expect(again.ok && again.ready.map((r) => r.task)).toEqual(['c']);

    await completeWith(ctx.store, id, 'b', 'lease-b');
    await leaseWith(ctx.store, id, 'c', 'lease-c');
    const last = await completeWith(ctx.store, id, 'c', 'lease-c');
    expect(last.ok && last.run?.status).toBe('completed');
    // The completion that ended the run answers with its outcome again; the others do not.
    expect(await completeWith(ctx.store, id, 'c', 'lease-c')).toEqual(last);
    const earlier = await completeWith(ctx.store, id, 'b', 'lease-b');
    expect(earlier).toEqual({ ok: true, ready: [] });
  });

  it('answers a retry sent again with the same retry, and a final failure with its skips and compensation', async () => {
    const id = runId();
    await ctx.store.createRun(
      runInput(id, [
        task('a', [], { compensable: true }),
        task('b', ['a'], { maxAttempts: 2 }),
        task('c', ['a']),
      ]),
    );
    await leaseWith(ctx.store, id, 'a', 'lease-a');
    await completeWith(ctx.store, id, 'a', 'lease-a');
    await leaseWith(ctx.store, id, 'b', 'lease-b1');
    const retry = await failWith(ctx.store, id, 'b', 'lease-b1', T0 + 500);
    expect(retry).toMatchObject({
      ok: true,
      willRetry: true,
      ready: [{ task: 'b', attempt: 2, notBefore: T0 + 500 }],
    });
    expect(await failWith(ctx.store, id, 'b', 'lease-b1', T0 + 500)).toEqual(retry);

    await leaseWith(ctx.store, id, 'b', 'lease-b2', { attempt: 2 });
    // The retry's lease took over: the first attempt's failure is now a stale duplicate.
    expect(await failWith(ctx.store, id, 'b', 'lease-b1', T0 + 500)).toEqual({ ok: false, reason: 'stale' });
    const final = await failWith(ctx.store, id, 'b', 'lease-b2', undefined, { attempt: 2 });
    expect(final).toMatchObject({
      ok: true,
      willRetry: false,
      skipped: ['c'],
      ready: [{ task: 'a', phase: 'compensate', attempt: 1 }],
      run: { status: 'compensating', failedTask: 'b' },
    });
    expect(await failWith(ctx.store, id, 'b', 'lease-b2', undefined, { attempt: 2 })).toEqual(final);

    // The compensation: a failed step retried, then completed, each answered again the same.
    await leaseWith(ctx.store, id, 'a', 'comp-1', { phase: 'compensate' });
    const compRetry = await failWith(ctx.store, id, 'a', 'comp-1', T0 + 700, { phase: 'compensate' });
    expect(compRetry).toMatchObject({
      ok: true,
      willRetry: true,
      ready: [{ task: 'a', attempt: 2, phase: 'compensate' }],
    });
    expect(await failWith(ctx.store, id, 'a', 'comp-1', T0 + 700, { phase: 'compensate' })).toEqual(
      compRetry,
    );
    await leaseWith(ctx.store, id, 'a', 'comp-2', { attempt: 2, phase: 'compensate' });
    const compensated = await completeWith(ctx.store, id, 'a', 'comp-2', { attempt: 2, phase: 'compensate' });
    expect(compensated.ok && compensated.run?.status).toBe('compensated');
    expect(await completeWith(ctx.store, id, 'a', 'comp-2', { attempt: 2, phase: 'compensate' })).toEqual(
      compensated,
    );
  });

  it('answers a completion sent again when it made its failing run start compensating that very task', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a', [], { compensable: true }), task('b')]));
    await leaseWith(ctx.store, id, 'a', 'lease-a');
    await leaseWith(ctx.store, id, 'b', 'lease-b');
    await failWith(ctx.store, id, 'b', 'lease-b');
    const first = await completeWith(ctx.store, id, 'a', 'lease-a');
    expect(first).toMatchObject({
      ok: true,
      ready: [{ task: 'a', phase: 'compensate', attempt: 1 }],
      run: { status: 'compensating' },
    });
    expect(await states(ctx.store, id)).toEqual({ a: 'compensating', b: 'failed' });
    expect(await completeWith(ctx.store, id, 'a', 'lease-a')).toEqual(first);
  });

  it('answers a cancellation sent again with what it cancelled', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a'), task('b', ['a'])]));
    const first = await ctx.store.cancelRun({ runId: id, now: T0 + 5, token: 'cancel-1' });
    expect(first).toMatchObject({ ok: true, cancelled: ['a', 'b'], run: { status: 'cancelled' } });
    expect(await ctx.store.cancelRun({ runId: id, now: T0 + 5, token: 'cancel-1' })).toEqual(first);
    expect(await ctx.store.cancelRun({ runId: id, now: T0 + 6, token: 'cancel-2' })).toEqual({
      ok: false,
      reason: 'run_ended',
      cancelled: [],
    });
  });

  it('answers a sweep sent again with what it swept, not with a new sweep', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a', [], { maxAttempts: 2 }), task('b')]));
    await leaseWith(ctx.store, id, 'a', 'lease-a');
    const sweep = { now: T0 + LEASE + 1, limit: 10, queuedTimeoutMs: 60_000, token: 'sweep-1' };
    const first = await ctx.store.expireLeases(sweep);
    expect(first.expired.map((e) => e.task)).toEqual(['a']);
    expect(first.ready.map((r) => `${r.task}#${r.attempt}`)).toEqual(['a#2']);
    expect(await ctx.store.expireLeases(sweep)).toEqual(first);
    // Another sweep finds nothing due.
    expect(await ctx.store.expireLeases({ ...sweep, token: 'sweep-2' })).toEqual({
      requeued: [],
      expired: [],
      ready: [],
      unannounced: [],
      unrecorded: [],
    });
  });

  it('does not take a late report from an expired lease for a replay', async () => {
    const id = runId();
    await ctx.store.createRun(runInput(id, [task('a', [], { maxAttempts: 3 })]));
    await leaseWith(ctx.store, id, 'a', 'lease-1');
    await ctx.store.expireLeases({ now: T0 + LEASE + 1, limit: 10, queuedTimeoutMs: 60_000 });
    expect(await states(ctx.store, id)).toEqual({ a: 'queued' });
    expect(await failWith(ctx.store, id, 'a', 'lease-1', T0 + 500)).toEqual({ ok: false, reason: 'stale' });
  });
});
