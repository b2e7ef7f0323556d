/**
 * Every binding the Worker reads, named once and parsed with zod into one config object. Bindings
 * arrive with each call (`env`), never through globals. `wrangler.toml` documents each of them.
 */
import { z } from 'zod';
import { parseEnv, sharedEnvFields, type WebhookSecrets } from '../shared/env.js';

const secret = (name: string, min = 1) => z.string({ error: `${name} is required` }).min(min);

const workerEnvSchema = z.object({
  /** Redis over REST (Upstash, or `tools/upstash-rest` locally). */
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: secret('UPSTASH_REDIS_REST_TOKEN'),
  /** QStash API base URL (`tools/qstash-local` locally). */
  QSTASH_URL: z.url().default('https://qstash.upstash.io'),
  QSTASH_TOKEN: secret('QSTASH_TOKEN'),
  /** Keys QStash signs deliveries with; both are tried (key rotation). */
  QSTASH_CURRENT_SIGNING_KEY: secret('QSTASH_CURRENT_SIGNING_KEY'),
  QSTASH_NEXT_SIGNING_KEY: secret('QSTASH_NEXT_SIGNING_KEY'),
  /** QStash redeliveries of an invocation that crashed (non-2xx or no answer). */
  QSTASH_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  /** The Worker's public origin: QStash delivers to `${PUBLIC_URL}/invoke`, and signs that URL. */
  PUBLIC_URL: z
    .url()
    .transform((value) => value.replace(/\/+$/, ''))
    .refine((value) => new URL(value).pathname === '/', 'PUBLIC_URL must be an origin, without a path'),
  /** Bearer token of the publish and admin routes. */
  WAOOAW_TOKEN: secret('WAOOAW_TOKEN', 16),
  ...sharedEnvFields,
});

export type WorkerConfig = z.output<typeof workerEnvSchema> & { webhookSecrets: WebhookSecrets };

/** The bindings as the runtime hands them over (strings for vars and secrets). */
export type WorkerEnv = Record<string, unknown>;

export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
}

/** Parses the bindings; throws one error naming every bad or missing binding (never their values). */
export function loadWorkerConfig(env: WorkerEnv): WorkerConfig {
  return parseEnv(
    workerEnvSchema,
    env,
    (lines) => new WorkerConfigError(`invalid Worker configuration:\n${lines}`),
  );
}
