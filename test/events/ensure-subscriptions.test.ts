import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { InProcessTransport } from '../../src/transport/index.js';

describe('EventBus.ensureSubscriptions', () => {
  it('writes only what is missing or changed, so a deploy that changes a pattern takes effect', async () => {
    const store = new MemoryStore();
    const bus = new EventBus({ store, transport: new InProcessTransport() });
    const sub = { id: 'reports', pattern: 'orders.*', target: { kind: 'handler' as const, name: 'reports' } };
    await bus.ensureSubscriptions([sub]);
    const first = await store.subscriptionsVersion();
    await bus.ensureSubscriptions([sub]);
    expect(await store.subscriptionsVersion()).toBe(first);

    await bus.ensureSubscriptions([{ ...sub, pattern: 'orders.#' }]);
    expect(await store.subscriptionsVersion()).toBeGreaterThan(first);
    expect((await store.listSubscriptions()).map((s) => [s.id, s.pattern])).toEqual([
      ['reports', 'orders.#'],
    ]);

    const changed = await store.subscriptionsVersion();
    await bus.ensureSubscriptions([{ ...sub, pattern: 'orders.#', maxAttempts: 9, ordered: true }]);
    expect(await store.subscriptionsVersion()).toBeGreaterThan(changed);
    expect(await store.listSubscriptions()).toEqual([
      expect.objectContaining({ maxAttempts: 9, ordered: true }),
    ]);
  });
});
