import { MemoryStore } from '../../src/store/memory/index.js';
import { fromIoredis, RedisStore } from '../../src/store/redis/index.js';
import type { Store } from '../../src/store/types.js';
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
];
