export type { RedisQueueDepth } from './codec.js';
export { type ConnectionReport, watchConnection } from './connection-watch.js';
export { type TransportKeys, transportKeys } from './keys.js';
export { RedisTransport, type RedisTransportOptions, type RedisTransportStats } from './redis-transport.js';
export { TransportScriptError } from './script-runner.js';
