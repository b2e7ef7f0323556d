import { type CollectOptions, collectMetrics } from './collect.js';
import { MemoryMetrics } from './memory-metrics.js';
import type { MetricsStore } from './metrics.js';
import { renderPrometheus } from './prometheus.js';
import { type MetricsRedisClient, RedisMetrics, type RedisMetricsOptions } from './redis-metrics.js';

export interface CreateMetricsOptions extends Partial<Omit<RedisMetricsOptions, 'client'>> {
  /** The Redis client adapter (`fromIoredis`, `fromUpstash`): metrics shared by every replica. */
  redis?: MetricsRedisClient;
}

/**
 * The metrics store an entry point passes to `createWaooaw({ metrics })` and to `metricsEndpoint`:
 * in Redis when a client is given (cluster-wide), in memory otherwise (embedded).
 *
 * @example
 * const metrics = createMetrics({ redis: fromIoredis(new Redis(url)), prefix });
 */
export function createMetrics({ redis, ...options }: CreateMetricsOptions = {}): MetricsStore {
  return redis ? new RedisMetrics({ client: redis, ...options }) : new MemoryMetrics();
}

/**
 * The `metrics` option of the HTTP app: renders `GET /metrics`.
 *
 * @example
 * createHttpApp({ ..., metrics: metricsEndpoint({ metrics, store, capacity, extra: processMetrics(process) }) });
 */
export function metricsEndpoint(options: CollectOptions): () => Promise<string> {
  return async () => renderPrometheus(await collectMetrics(options));
}
