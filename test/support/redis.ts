/** The test Redis and its key hygiene: every test works under its own prefix and deletes only that. */
import { randomUUID } from 'node:crypto';

export { deleteKeys, keysUnder } from '../../tools/shared/redis-keys.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix no other test uses. */
export const newPrefix = () => `test-${randomUUID()}:`;
