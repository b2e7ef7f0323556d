/**
 * The sweeper on a sharded Redis store: a shard with more entries due than one sweep's limit (a
 * backlog of queued tasks past their queued timeout) does not keep the other shards waiting.
 */
import { describe, expect, it } from 'vitest';
import { StoreKeys } from '../../src/store/keys.js';
import { fromIoredis, RedisStore } from '../../src/store/redis/index.js';
import { QUEUED_TIMEOUT, runId, runInput, T0, task } from '../contract/fixtures.js';
import { redisNamespace } from '../contract/redis-namespace.js';

describe('sweeping a sharded Redis store', () => {
  it('gives every shard its turn, however many entries one shard has due', async () => {
    const ns = redisNamespace();
    try {
      const shards = 4;
      const store = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), {
        prefix: ns.prefix,
        shards,
      });
      const keys = new StoreKeys(ns.prefix, shards);
      // Six runs on shard 0, one on shard 1: each a queued root whose invocation was lost.
      const on = (shard: number, count: number) => {
        const ids: string[] = [];
        while (ids.length < count) {
          const id = runId();
          if (keys.shardOf(id) === shard) ids.push(id);
        }
        return ids;
      };
      const busy = on(0, 6);
      const [quiet] = on(1, 1);
      for (const id of [...busy, quiet!]) await store.createRun(runInput(id, [task('a')]));
      const requeued: string[] = [];
      for (let sweep = 0; sweep < 2; sweep++) {
        const result = await store.expireLeases({
          now: T0 + QUEUED_TIMEOUT,
          limit: 2,
          queuedTimeoutMs: QUEUED_TIMEOUT,
        });
        requeued.push(...result.requeued.map((r) => r.runId));
      }
      // The second sweep starts where the first did not: shard 1's run is not behind shard 0's six.
      expect(requeued).toContain(quiet);
    } finally {
      await ns.cleanup();
    }
  });
});
