/**
 * An ended run's keys expire together after its retention, including what a task still running
 * at the end writes afterwards (a late write must not create a key that never expires).
 */
import { describe, expect, it } from 'vitest';
import { StoreKeys } from '../../src/store/keys.js';
import { fromIoredis, RedisStore } from '../../src/store/redis/index.js';
import { lease, runId, runInput, T0, task } from '../contract/fixtures.js';
import { redisNamespace } from '../contract/redis-namespace.js';

describe('run retention on Redis', () => {
  it('expires the result of a task that completed after its run was cancelled', async () => {
    const ns = redisNamespace();
    try {
      const store = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), { prefix: ns.prefix });
      const id = runId();
      await store.createRun({ ...runInput(id, [task('a')]), retentionMs: 60_000 });
      await lease(store, id, 'a');
      await store.cancelRun({ runId: id, now: T0 + 10 });
      const done = await store.completeAttempt({
        runId: id,
        task: 'a',
        attempt: 1,
        phase: 'execute',
        result: 1,
        now: T0 + 20,
      });
      expect(done).toEqual({ ok: true, ready: [] });
      const keys = new StoreKeys(ns.prefix).run(id);
      for (const key of [keys.meta, keys.tasks, keys.results]) {
        const ttl = await ns.redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(60_000);
      }
    } finally {
      await ns.cleanup();
    }
  });
});
