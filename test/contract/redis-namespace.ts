import { Redis } from 'ioredis';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';

/** A fresh key prefix on the shared test Redis, and a cleanup that deletes only keys under it. */
export function redisNamespace(): { prefix: string; redis: Redis; cleanup(): Promise<void> } {
  const prefix = newPrefix();
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  return {
    prefix,
    redis,
    async cleanup() {
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
