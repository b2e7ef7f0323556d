import { describe, expect, it, vi } from 'vitest';
import { emptySubscriptionSnapshot } from '../../src/events/index.js';
import { SubscriptionCache } from '../../src/events/subscription-cache.js';
import { MemoryStore } from '../../src/store/index.js';

const sub = (id: string, pattern: string) => ({
  id,
  pattern,
  target: { kind: 'handler' as const, name: id },
  maxAttempts: 3,
  createdAt: 1,
});

describe('SubscriptionCache', () => {
  it('reads the store at most once per TTL, and reloads the list only when its version moved', async () => {
    const store = new MemoryStore();
    await store.putSubscription(sub('a', 'orders.*'));
    let now = 0;
    const version = vi.spyOn(store, 'subscriptionsVersion');
    const list = vi.spyOn(store, 'listSubscriptions');
    const cache = new SubscriptionCache(store, 1_000, () => now);
    expect((await cache.all()).map((s) => s.record.id)).toEqual(['a']);
    await cache.all();
    expect([version.mock.calls.length, list.mock.calls.length]).toEqual([1, 1]);
    now = 2_000;
    await cache.all();
    expect([version.mock.calls.length, list.mock.calls.length]).toEqual([2, 1]);
    await store.putSubscription(sub('b', 'orders.#'));
    now = 4_000;
    expect((await cache.all()).map((s) => s.record.id).sort()).toEqual(['a', 'b']);
    expect(list.mock.calls.length).toBe(2);
  });

  it('sees a change made while a load was in flight: that load is not taken as fresh', async () => {
    const store = new MemoryStore();
    await store.putSubscription(sub('a', 'orders.*'));
    const cache = new SubscriptionCache(store, 60_000, () => 0);
    // A load reads the list, then is slow to finish (a slow store); meanwhile `b` is added here.
    let release!: () => void;
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const list = store.listSubscriptions.bind(store);
    vi.spyOn(store, 'listSubscriptions').mockImplementationOnce(async () => {
      const records = await list();
      await slow;
      return records;
    });
    const inFlight = cache.all();
    await new Promise((r) => setTimeout(r, 5));
    await store.putSubscription(sub('b', 'orders.#'));
    cache.invalidate();
    const after = cache.all();
    release();
    await inFlight;
    // Within the TTL, yet the list read before the change is not served as the current one.
    expect((await after).map((s) => s.record.id).sort()).toEqual(['a', 'b']);
    expect((await cache.all()).map((s) => s.record.id).sort()).toEqual(['a', 'b']);
  });

  it('shares a snapshot: a second cache (a new request on Workers) reads nothing within the TTL', async () => {
    const store = new MemoryStore();
    await store.putSubscription(sub('a', 'orders.*'));
    const snapshot = emptySubscriptionSnapshot();
    const first = new SubscriptionCache(store, 1_000, () => 0, snapshot);
    await first.all();
    const version = vi.spyOn(store, 'subscriptionsVersion');
    const second = new SubscriptionCache(store, 1_000, () => 500, snapshot);
    expect((await second.get('a'))?.pattern).toBe('orders.*');
    expect(version).not.toHaveBeenCalled();
    // An unknown id looks once more, past the TTL (it may have been created elsewhere just now).
    await store.putSubscription(sub('c', 'orders.created'));
    expect((await second.get('c'))?.pattern).toBe('orders.created');
    expect(version).toHaveBeenCalledTimes(1);
  });
});
