/**
 * Every environment variable waooaw reads on Node, named once and parsed with zod into one config
 * object. Nothing else reads `process.env`.
 */
import { z } from 'zod';
import { type TracingOptions, tracingOptionsFromEnv } from '../src/observability/node-tracing.js';
import { parseEnv, positiveInt, sharedEnvFields, type WebhookSecrets } from './shared/env.js';

const nodeEnvSchema = z.object({
  /** HTTP port. */
  PORT: positiveInt(8787),
  /** Bind address. */
  HOST: z.string().default('0.0.0.0'),
  /** Redis for state and queues; unset = the embedded in-memory default (one process, nothing kept). */
  REDIS_URL: z.string().url().optional(),
  /** Bearer token of the publish and admin routes. Unset = open routes, allowed only on the embedded default. */
  WAOOAW_TOKEN: z.string().min(16, 'WAOOAW_TOKEN must be at least 16 characters').optional(),
  /** Module exporting `workflows` (and optionally `consumers`); default: the bundled examples. */
  WAOOAW_APP: z.string().optional(),
  /** Invocations run at once by this process. */
  WORKER_POOL_SIZE: positiveInt(10),
  /** Queue capacity reported for the queue-depth alert. */
  TASK_QUEUE_MAX_SIZE: positiveInt(1000),
  /** Names this replica's worker id (with the pid); set by Kubernetes and Docker. */
  HOSTNAME: z.string().optional(),
  /** Milliseconds between lease sweeps. */
  SWEEP_INTERVAL_MS: positiveInt(5_000),
  /** Milliseconds between `orchestration.metrics.snapshot` events. */
  SNAPSHOT_INTERVAL_MS: positiveInt(10_000),
  /** Milliseconds SIGTERM waits for in-flight invocations. */
  SHUTDOWN_TIMEOUT_MS: positiveInt(30_000),
  ...sharedEnvFields,
});

export type NodeConfig = z.output<typeof nodeEnvSchema> & {
  webhookSecrets: WebhookSecrets;
  /** OTLP/HTTP export from the standard `OTEL_EXPORTER_OTLP_*` variables; no URL, no export. */
  tracing: TracingOptions;
};

/** Parses the environment; throws one error listing every bad variable. */
export function loadNodeConfig(env: Record<string, string | undefined>): NodeConfig {
  const config = parseEnv(nodeEnvSchema, env, (lines) => new Error(`invalid configuration:\n${lines}`));
  return { ...config, tracing: { serviceName: 'waooaw', ...tracingOptionsFromEnv(env) } };
}
