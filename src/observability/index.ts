/** Observability: structured logs, metrics (Prometheus, cluster-wide in Redis) and tracing (OpenTelemetry API). */
export { ATTR, type AttributeName, SPANS, TRACER_NAME } from './attributes.js';
export { type CollectOptions, collectMetrics, type GaugeSource } from './collect.js';
export { type CreateMetricsOptions, createMetrics, metricsEndpoint } from './create-metrics.js';
export { type JsonLoggerOptions, jsonLogger, type Logger, type LogLevel, silentLogger } from './logger.js';
export { MemoryMetrics } from './memory-metrics.js';
export { LATENCY_BUCKETS, METRICS, type MetricKey, PROCESS_METRICS } from './metric-names.js';
export { type Labels, type Metrics, type MetricsStore, noopMetrics } from './metrics.js';
export { type MetricsKeys, metricsKeys } from './metrics-keys.js';
export { type MetricFamily, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
export { type MetricsRedisClient, RedisMetrics, type RedisMetricsOptions } from './redis-metrics.js';
export type { MetricsSnapshot } from './series.js';
export {
  extractContext,
  injectContext,
  inSpan,
  parentContext,
  recordFailure,
  startSpan,
  type TraceCarrier,
} from './tracing.js';
