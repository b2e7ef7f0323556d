import type { Logger, RedisClientAdapter, Waooaw } from '../../src/index.js';
import { createMetrics, type MetricsStore, metricsEndpoint } from '../../src/observability/index.js';
import { setupTracing } from '../../src/observability/node-tracing.js';
import { processMetrics } from '../../src/observability/process-metrics.js';
import type { NodeConfig } from '../config.js';

export interface NodeTelemetry {
  /** Counters and histograms: in Redis (shared by every replica) or in memory (embedded). */
  metrics: MetricsStore;
  /** `GET /metrics`: the cluster-wide series, the gauges read now, and this process's own. */
  render(app: Waooaw): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Metrics for `GET /metrics`, and OTLP/HTTP trace export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set
 * (the SDK loads only then).
 */
export async function startNodeTelemetry(
  config: NodeConfig,
  logger: Logger,
  redis: RedisClientAdapter | undefined,
): Promise<NodeTelemetry> {
  const tracing = await setupTracing(config.tracing);
  if (tracing) logger.info('exporting traces', { url: config.tracing.url });
  const metrics = createMetrics(
    redis
      ? {
          redis,
          prefix: config.WAOOAW_PREFIX,
          onError: (error) =>
            logger.warn('metrics flush failed (kept for the next one)', { error: String(error) }),
        }
      : {},
  );
  const extra = processMetrics(process, { defer: setImmediate });
  return {
    metrics,
    render: (app) =>
      metricsEndpoint({ metrics, store: app.store, capacity: config.TASK_QUEUE_MAX_SIZE, extra })(),
    stop: async () => {
      await metrics.close();
      await tracing?.shutdown();
    },
  };
}
