/**
 * Every environment variable waooaw reads on Node, named once and parsed with zod into one config
 * object. Nothing else reads `process.env`.
 */
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const nodeEnvSchema = z.object({
  /** HTTP port. */
  PORT: positiveInt(8787),
  /** Bind address. */
  HOST: z.string().default('0.0.0.0'),
  /** Redis for state and queues; unset = the embedded in-memory default (one process, nothing kept). */
  REDIS_URL: z.string().url().optional(),
  /** Bearer token of the publish and admin routes. Unset = open routes, allowed only on the embedded default. */
  WAOOAW_TOKEN: z.string().min(16, 'WAOOAW_TOKEN must be at least 16 characters').optional(),
  /** Secret that signs `/invoke` calls and deliveries to HTTP subscribers. */
  WAOOAW_SIGNING_SECRET: z.string().min(16).optional(),
  /** Module exporting `workflows` (and optionally `consumers`); default: the bundled examples. */
  WAOOAW_APP: z.string().optional(),
  /** Invocations run at once by this process. */
  WORKER_POOL_SIZE: positiveInt(10),
  /** Queue capacity reported for the queue-depth alert. */
  TASK_QUEUE_MAX_SIZE: positiveInt(1000),
  /** Key prefix in Redis, so several deployments can share one server. */
  WAOOAW_PREFIX: z.string().default('waooaw:'),
  /** Runs spread over this many Redis Cluster hash slots. */
  WAOOAW_SHARDS: positiveInt(1),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** OTLP/HTTP traces endpoint (e.g. http://collector:4318); unset = no export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().default('waooaw'),
  /** Milliseconds between lease sweeps. */
  SWEEP_INTERVAL_MS: positiveInt(5_000),
  /** Milliseconds between `orchestration.metrics.snapshot` events. */
  SNAPSHOT_INTERVAL_MS: positiveInt(10_000),
  /** Milliseconds SIGTERM waits for in-flight invocations. */
  SHUTDOWN_TIMEOUT_MS: positiveInt(30_000),
});

export type NodeConfig = z.output<typeof nodeEnvSchema> & {
  /** HMAC secrets of `POST /webhooks/:source`, from `WEBHOOK_SECRET_<SOURCE>` (e.g. WEBHOOK_SECRET_GITHUB). */
  webhookSecrets: Record<string, string>;
};

/** Parses the environment; throws one error listing every bad variable. */
export function loadNodeConfig(env: Record<string, string | undefined>): NodeConfig {
  const parsed = nodeEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const webhookSecrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^WEBHOOK_SECRET_([A-Z0-9_]+)$/.exec(name);
    if (match && value) webhookSecrets[match[1]!.toLowerCase().replaceAll('_', '-')] = value;
  }
  return { ...parsed.data, webhookSecrets };
}
