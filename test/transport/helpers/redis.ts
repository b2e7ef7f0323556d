import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const newPrefix = () => `test-${randomUUID()}:`;

export const connect = () => new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });

/** Deletes the keys under `prefix`, and only those. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
