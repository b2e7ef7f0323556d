export * from './in-process/index.js';
export * from './qstash/index.js';
export {
  DEFAULT_MAX_REDELIVERIES,
  type DroppedInvocation,
  defaultRetryDelayMs,
  type RedeliveryOptions,
} from './redelivery.js';
export * from './redis/index.js';
export type * from './types.js';
