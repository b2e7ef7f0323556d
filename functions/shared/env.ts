/**
 * What the Node and Worker entries read alike: the settings both have, the `WEBHOOK_SECRET_<SOURCE>`
 * variables, and one error that names every bad setting (never its value). Imports zod only, so
 * the Worker bundle can take it.
 */
import { z } from 'zod';

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings with the same meaning and default on both runtimes. */
export const sharedEnvFields = {
  /** Signs deliveries to HTTP subscribers (and, on Node, `/invoke` calls). */
  WAOOAW_SIGNING_SECRET: z.string().min(16).optional(),
  /** Key prefix in Redis, so several deployments can share one server. */
  WAOOAW_PREFIX: z.string().min(1).default('waooaw:'),
  /** Runs spread over this many Redis Cluster hash slots. */
  WAOOAW_SHARDS: positiveInt(1),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
};

/** HMAC secrets of `POST /webhooks/:source`, from `WEBHOOK_SECRET_<SOURCE>` (e.g. WEBHOOK_SECRET_GITHUB). */
export type WebhookSecrets = Record<string, string>;

/**
 * Parses `env` with `schema` and collects the webhook secrets; throws `toError` of one message that
 * lists every bad variable.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, unknown>,
  toError: (message: string) => Error,
): z.output<S> & { webhookSecrets: WebhookSecrets } {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw toError(lines.join('\n'));
  }
  const webhookSecrets: WebhookSecrets = {};
  for (const [name, value] of Object.entries(env)) {
    const match = /^WEBHOOK_SECRET_([A-Z0-9_]+)$/.exec(name);
    if (match && typeof value === 'string' && value) {
      webhookSecrets[match[1]!.toLowerCase().replaceAll('_', '-')] = value;
    }
  }
  return { ...(parsed.data as object), webhookSecrets } as z.output<S> & { webhookSecrets: WebhookSecrets };
}
