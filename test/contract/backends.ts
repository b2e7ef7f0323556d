import { Redis as UpstashRedis } from '@upstash/redis';
import { MemoryStore } from '../../src/store/memory/index.js';
import { fromIoredis, fromUpstash, RedisStore } from '../../src/store/redis/index.js';
import type { Store } from '../../src/store/types.js';
import { startUpstashRest } from '../../tools/upstash-rest/server.js';
import { REDIS_URL } from '../support/redis.js';
import { redisNamespace } from './redis-namespace.js';

export interface BackendOptions {
  shards?: number;
  eventLogCap?: number;
}

export interface Backend {
  name: string;
  make(options?: BackendOptions): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

/** Every Store backend the contract suite runs against; more are appended by their adapters. */
export const backends: Backend[] = [
  {
    name: 'memory',
    async make(options = {}) {
      const store = new MemoryStore(options.eventLogCap ? { eventLogCap: options.eventLogCap } : {});
      return { store, cleanup: () => store.close() };
    },
  },
  {
    name: 'redis-ioredis',
    async make(options = {}) {
      const ns = redisNamespace();
      const store = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), {
        prefix: ns.prefix,
        ...options,
      });
      return { store, cleanup: () => ns.cleanup() };
    },
  },
  {
    name: 'redis-ioredis-4-shards',
    async make(options = {}) {
      const ns = redisNamespace();
      const store = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), {
        prefix: ns.prefix,
        shards: 4,
        ...options,
      });
      return { store, cleanup: () => ns.cleanup() };
    },
  },
  {
    // The edge path: Redis over the Upstash REST protocol (the local endpoint in front of the test Redis).
    name: 'redis-upstash-rest',
    async make(options = {}) {
      const ns = redisNamespace();
      const token = 'contract-suite-token';
      const rest = await startUpstashRest({ redisUrl: REDIS_URL, port: 0, token });
      const redis = new UpstashRedis({ url: rest.url, token, enableAutoPipelining: true, retry: false });
      const store = new RedisStore(fromUpstash(redis), { prefix: ns.prefix, ...options });
      return {
        store,
        async cleanup() {
          await rest.close();
          await ns.cleanup();
        },
      };
    },
  },
];
