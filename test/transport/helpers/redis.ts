import { Redis } from 'ioredis';
import { REDIS_URL } from '../../support/redis.js';

export const connect = () => new Redis(REDIS_URL, { lazyConnect: false });
