import { describe, expect, it } from 'vitest';
import type { DlqEntryInput, StoredCloudEvent, SubscriptionRecord } from '../../src/store/types.js';
import { backends } from './backends.js';
import { T0 } from './fixtures.js';
import { useStore } from './setup.js';

const event = (n: number, type = 'demo.created'): StoredCloudEvent => ({
  id: `e${n}`,
  type,
  source: '/test',
  specversion: '1.0',
  data: { n, list: [], nested: {} },
});

const sub = (id: string, createdAt = T0): SubscriptionRecord => ({
  id,
  pattern: 'demo.*',
  target: { kind: 'http', url: `https://example.test/${id}` },
  maxAttempts: 3,
  createdAt,
});

const dlq = (extra: Partial<DlqEntryInput> = {}): DlqEntryInput => ({
  kind: 'delivery',
  reason: 'retries exhausted',
  attempts: 3,
  lastError: '500',
  createdAt: T0,
  ...extra,
});

describe.each(backends)('Store contract: bus ($name)', (backend) => {
  const ctx = useStore(backend, { eventLogCap: 10 });

  it('answers an append sent again with its token with what it appended, not with duplicates', async () => {
    const options = { dedupWindowMs: 60_000, token: 'append-1' };
    const first = await ctx.store.appendEvents([event(1), event(2)], T0, options);
    // Its reply was lost: the same call again.
    const again = await ctx.store.appendEvents([event(1), event(2)], T0, options);
    expect(again.map((l) => [l.seq, l.duplicate ?? false])).toEqual(first.map((l) => [l.seq, false]));
    // Another call (a producer's retry) is a duplicate, as before.
    const retry = await ctx.store.appendEvents([event(1)], T0 + 1, { ...options, token: 'append-2' });
    expect(retry.map((l) => l.duplicate)).toEqual([true]);
    // The same event twice in one call: the second copy is a duplicate, on a resend too.
    const twice = { ...options, token: 'append-3' };
    const both = await ctx.store.appendEvents([event(3), event(3)], T0 + 2, twice);
    expect(both.map((l) => l.duplicate ?? false)).toEqual([false, true]);
    expect(await ctx.store.appendEvents([event(3), event(3)], T0 + 2, twice)).toEqual(both);
    // Events exempt from dedup (internal ones) are not logged twice by a resend either.
    const internal = { ...options, dedup: [false], token: 'append-4' };
    const once = await ctx.store.appendEvents([event(4)], T0 + 3, internal);
    expect(await ctx.store.appendEvents([event(4)], T0 + 3, internal)).toEqual(once);
    expect((await ctx.store.readEvents({ limit: 100 })).map((l) => l.event.id)).toEqual([
      'e1',
      'e2',
      'e3',
      'e4',
    ]);
  });

  it('lets forgotten events be appended again within the dedup window', async () => {
    const window = { dedupWindowMs: 60_000 };
    await ctx.store.appendEvents([event(1), event(2)], T0, window);
    await ctx.store.forgetEvents([event(1)]);
    const again = await ctx.store.appendEvents([event(1), event(2)], T0 + 1, window);
    expect(again.map((l) => l.duplicate ?? false)).toEqual([false, true]);
  });

  it('drops an event published again with the same source and id within the dedup window', async () => {
    const window = { dedupWindowMs: 60_000 };
    const first = await ctx.store.appendEvents([event(1), event(2)], T0, window);
    expect(first.map((l) => l.duplicate)).toEqual([undefined, undefined]);
    const again = await ctx.store.appendEvents(
      [event(1), { ...event(1), source: '/other' }, event(3), event(3)],
      T0 + 1,
      window,
    );
    expect(again.map((l) => [l.event.id, l.duplicate ?? false])).toEqual([
      ['e1', true],
      ['e1', false],
      ['e3', false],
      ['e3', true],
    ]);
    // Exempted events are never deduplicated; without a window nothing is.
    const exempt = await ctx.store.appendEvents([event(2), event(2)], T0 + 2, {
      ...window,
      dedup: [false, false],
    });
    expect(exempt.map((l) => l.duplicate ?? false)).toEqual([false, false]);
    expect((await ctx.store.appendEvents([event(1)], T0 + 3)).map((l) => l.duplicate ?? false)).toEqual([
      false,
    ]);
    const log = await ctx.store.readEvents({ limit: 100 });
    expect(log.map((l) => `${l.event.source}${l.event.id}`)).toEqual([
      '/teste1',
      '/teste2',
      '/othere1',
      '/teste3',
      '/teste2',
      '/teste2',
      '/teste1',
    ]);
  });

  it('appends events in order and reads them back by time range and type', async () => {
    const logged = await ctx.store.appendEvents([event(1), event(2, 'demo.deleted'), event(3)], T0);
    expect(logged.map((l) => l.event.id)).toEqual(['e1', 'e2', 'e3']);
    expect(logged[0]).toEqual({ seq: `${T0}-0`, receivedAt: T0, event: event(1) });
    expect(logged.map((l) => l.seq)).toEqual([`${T0}-0`, `${T0}-1`, `${T0}-2`]);
    await ctx.store.appendEvents([event(4)], T0 + 1000);
    const late = await ctx.store.appendEvents([event(5)], T0 + 10);
    expect(late[0]?.seq).toBe(`${T0 + 1000}-1`);
    expect(late[0]?.receivedAt).toBe(T0 + 10);
    expect(await ctx.store.appendEvents([], T0)).toEqual([]);

    const all = await ctx.store.readEvents({ limit: 100 });
    expect(all.map((l) => l.event.id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(all[0]?.event).toEqual(event(1));
    const firstBatch = await ctx.store.readEvents({ from: T0, to: T0, limit: 100 });
    expect(firstBatch.map((l) => l.event.id)).toEqual(['e1', 'e2', 'e3']);
    const created = await ctx.store.readEvents({ types: ['demo.created'], limit: 100 });
    expect(created.map((l) => l.event.id)).toEqual(['e1', 'e3', 'e4', 'e5']);
    const limited = await ctx.store.readEvents({ from: T0 + 1, types: ['demo.created'], limit: 1 });
    expect(limited.map((l) => l.event.id)).toEqual(['e4']);
  });

  it('keeps the event log bounded, dropping the oldest', async () => {
    for (let i = 0; i < 30; i++) {
      await ctx.store.appendEvents(
        Array.from({ length: 10 }, (_, j) => event(i * 10 + j)),
        T0 + i,
      );
    }
    const kept = await ctx.store.readEvents({ limit: 1000 });
    // Redis trims with MAXLEN ~ (whole stream nodes of up to 100 entries); memory trims exactly.
    expect(kept.length).toBeGreaterThanOrEqual(10);
    expect(kept.length).toBeLessThan(300);
    expect(kept.at(-1)?.event.id).toBe('e299');
    expect(kept[0]?.event.id).not.toBe('e0');
  });

  it('stores subscriptions and moves the version on every change', async () => {
    const v0 = await ctx.store.subscriptionsVersion();
    await ctx.store.putSubscription(sub('b', T0 + 1));
    await ctx.store.putSubscription({
      ...sub('a'),
      ordered: true,
      target: { kind: 'workflow', workflow: 'wf' },
    });
    const v2 = await ctx.store.subscriptionsVersion();
    expect(v2).toBe(v0 + 2);
    expect(await ctx.store.listSubscriptions()).toEqual([
      { ...sub('a'), ordered: true, target: { kind: 'workflow', workflow: 'wf' } },
      sub('b', T0 + 1),
    ]);
    await ctx.store.putSubscription({ ...sub('b', T0 + 1), pattern: '#' });
    expect((await ctx.store.listSubscriptions())[1]?.pattern).toBe('#');
    expect(await ctx.store.deleteSubscription('a')).toBe(true);
    expect(await ctx.store.deleteSubscription('a')).toBe(false);
    expect(await ctx.store.subscriptionsVersion()).toBe(v0 + 4);
    expect((await ctx.store.listSubscriptions()).map((s) => s.id)).toEqual(['b']);
  });

  it('creates a subscription only if its id is absent, atomically', async () => {
    const v0 = await ctx.store.subscriptionsVersion();
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        ctx.store.putSubscription({ ...sub('only'), pattern: `p${i}` }, { onlyIfAbsent: true }),
      ),
    );
    expect(attempts.filter(Boolean)).toHaveLength(1);
    const winner = `p${attempts.indexOf(true)}`;
    expect((await ctx.store.listSubscriptions()).map((s) => [s.id, s.pattern])).toEqual([['only', winner]]);
    // A refused creation changes nothing, not even the version replicas watch.
    expect(await ctx.store.subscriptionsVersion()).toBe(v0 + 1);
    expect(await ctx.store.putSubscription({ ...sub('only'), pattern: 'replaced' })).toBe(true);
    expect((await ctx.store.listSubscriptions())[0]?.pattern).toBe('replaced');
  });

  it('adds, lists, filters, reads and deletes dead letters', async () => {
    expect(await ctx.store.listDlq({ limit: 10 })).toEqual([]);
    expect(await ctx.store.dlqSizes()).toEqual({});
    const first = await ctx.store.addDlq(
      dlq({ subscriptionId: 's1', event: { id: 'e1', type: 't', source: 's', specversion: '1.0' } }),
    );
    const second = await ctx.store.addDlq(dlq({ subscriptionId: 's1', createdAt: T0 + 5 }));
    const third = await ctx.store.addDlq(dlq({ kind: 'task', runId: 'r1', task: 'a', createdAt: T0 + 5 }));
    const fourth = await ctx.store.addDlq(dlq({ subscriptionId: 's2', kind: 'trigger', createdAt: T0 + 1 }));
    expect(first).toMatchObject({ ...dlq({ subscriptionId: 's1' }), id: expect.any(String) });
    expect(await ctx.store.getDlq(first.id)).toEqual(first);
    expect(await ctx.store.getDlq('missing')).toBeUndefined();
    expect((await ctx.store.listDlq({ limit: 10 })).map((e) => e.id)).toEqual([
      third.id,
      second.id,
      fourth.id,
      first.id,
    ]);
    expect((await ctx.store.listDlq({ limit: 2 })).map((e) => e.id)).toEqual([third.id, second.id]);
    expect((await ctx.store.listDlq({ limit: 10, subscriptionId: 's1' })).map((e) => e.id)).toEqual([
      second.id,
      first.id,
    ]);
    expect((await ctx.store.listDlq({ limit: 10, kind: 'task' })).map((e) => e.id)).toEqual([third.id]);
    expect(await ctx.store.listDlq({ limit: 10, subscriptionId: 's2', kind: 'task' })).toEqual([]);
    expect(await ctx.store.dlqSizes()).toEqual({ s1: 2, s2: 1, '': 1 });
    expect(await ctx.store.deleteDlq(first.id)).toBe(true);
    expect(await ctx.store.deleteDlq(first.id)).toBe(false);
    expect(await ctx.store.dlqSizes()).toEqual({ s1: 1, s2: 1, '': 1 });
    expect((await ctx.store.listDlq({ limit: 10, subscriptionId: 's1' })).map((e) => e.id)).toEqual([
      second.id,
    ]);
  });

  it('keeps one dead letter per key while it exists', async () => {
    const failure = dlq({ kind: 'task', runId: 'r1', task: 'a', key: 'task:r1:a:execute' });
    const first = await ctx.store.addDlq(failure);
    // Reported again (a redelivered invocation): the same entry, as first stored.
    const again = await ctx.store.addDlq({ ...failure, createdAt: T0 + 50, lastError: 'again' });
    expect(again).toEqual(first);
    expect(await ctx.store.listDlq({ limit: 10 })).toEqual([first]);
    expect(await ctx.store.dlqSizes()).toEqual({ '': 1 });
    // Another key, or none, is another entry.
    const other = await ctx.store.addDlq({ ...failure, key: 'task:r1:b:execute' });
    const unkeyed = await ctx.store.addDlq(dlq({ kind: 'task', runId: 'r1', task: 'a' }));
    expect(new Set([first.id, other.id, unkeyed.id]).size).toBe(3);
    // Deleted (replayed, say), its key is free: the same failure again is a new entry.
    expect(await ctx.store.deleteDlq(first.id)).toBe(true);
    const fresh = await ctx.store.addDlq({ ...failure, createdAt: T0 + 60 });
    expect(fresh.id).not.toBe(first.id);
    expect(fresh).toMatchObject({ createdAt: T0 + 60, key: 'task:r1:a:execute' });
    expect((await ctx.store.listDlq({ limit: 10 })).map((e) => e.id).sort()).toEqual(
      [fresh.id, other.id, unkeyed.id].sort(),
    );
  });
});
