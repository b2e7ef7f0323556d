export { type FromIoredisOptions, fromIoredis, type RedisArg, type RedisClientAdapter } from './client.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { fromUpstash } from './upstash.js';
