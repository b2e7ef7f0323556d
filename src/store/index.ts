export { dedupId } from './bus-codec.js';
export { callToken } from './call-token.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { GroupCommit } from './group-commit.js';
export { StoreKeys } from './keys.js';
export type { LuaScript } from './lua/script.js';
export { MemoryStore, type MemoryStoreOptions } from './memory/index.js';
export * from './model.js';
export {
  type FromIoredisOptions,
  fromIoredis,
  fromUpstash,
  type RedisClientAdapter,
  RedisStore,
  type RedisStoreOptions,
} from './redis/index.js';
export { isNoAnswer, RESEND_DELAYS_MS, withResends } from './resend.js';
export type * from './types.js';
