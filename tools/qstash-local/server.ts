import { Redis } from 'ioredis';
import { listen } from '../shared/listen.js';
import {
  DEDUP_WINDOW_MS,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_RETRIES,
  DEV_CURRENT_SIGNING_KEY,
  DEV_NEXT_SIGNING_KEY,
  DEV_PORT,
  DEV_TOKEN,
} from './constants.js';
import { qstashKeys } from './keys.js';
import { qstashBackoff, type RetryBackoff } from './retry-delay.js';
import { createQStashApp } from './routes.js';
import { Scheduler } from './scheduler.js';
import { QStashStore } from './store.js';

export interface QStashLocalOptions {
  redisUrl?: string;
  /** 8080 by default, where dev-mode clients look; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Bearer token publishers must send; the QStash dev server's token by default. */
  token?: string;
  currentSigningKey?: string;
  nextSigningKey?: string;
  /** Prefix of every Redis key; pending messages survive restarts under the same prefix. */
  prefix?: string;
  /** Delay before a retry (ms), fixed or per retry count; QStash's e^(2.5·n) s by default. */
  retryBackoffMs?: number | RetryBackoff;
  defaultRetries?: number;
  dedupWindowMs?: number;
  deliveryTimeoutMs?: number;
  visibilityTimeoutMs?: number;
  pollIntervalMs?: number;
  maxConcurrency?: number;
  onError?: (error: unknown) => void;
}

export interface RunningQStashLocal {
  /** Base URL for `new Client({ baseUrl: url, token })`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Start a QStash-compatible publish / deliver / sign / retry / DLQ endpoint backed by Redis.
 * Development tool only.
 *
 * @example
 * const qstash = await startQStashLocal({ port: 0, prefix: 'dev:qstash:', retryBackoffMs: 200 });
 * const client = new Client({ baseUrl: qstash.url, token: DEV_TOKEN });
 * await client.publishJSON({ url: 'http://127.0.0.1:3000/invoke', body: { hello: 'world' } });
 * await qstash.close();
 */
export async function startQStashLocal({
  redisUrl = 'redis://127.0.0.1:6379',
  port = DEV_PORT,
  host = '127.0.0.1',
  token = DEV_TOKEN,
  currentSigningKey = DEV_CURRENT_SIGNING_KEY,
  nextSigningKey = DEV_NEXT_SIGNING_KEY,
  prefix = 'qstash-local:',
  retryBackoffMs = qstashBackoff,
  defaultRetries = DEFAULT_RETRIES,
  dedupWindowMs = DEDUP_WINDOW_MS,
  deliveryTimeoutMs = DEFAULT_DELIVERY_TIMEOUT_MS,
  visibilityTimeoutMs = 30_000,
  pollIntervalMs = 100,
  maxConcurrency = 100,
  onError = (error) => console.error('[qstash-local]', error),
}: QStashLocalOptions = {}): Promise<RunningQStashLocal> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  const store = new QStashStore(redis, qstashKeys(prefix));
  const scheduler = new Scheduler({
    store,
    signingKey: currentSigningKey,
    pollIntervalMs,
    visibilityTimeoutMs,
    maxConcurrency,
    backoff: typeof retryBackoffMs === 'number' ? () => retryBackoffMs : retryBackoffMs,
    deliveryTimeoutMs,
    onError,
  });
  const app = createQStashApp({
    store,
    token,
    currentSigningKey,
    nextSigningKey,
    defaultRetries,
    dedupWindowMs,
    onEnqueued: () => scheduler.wake(),
  });
  const server = await listen(app.fetch, { port, host });
  scheduler.start();
  return {
    url: server.url,
    port: server.port,
    async close() {
      await scheduler.stop();
      await server.close();
      redis.disconnect();
    },
  };
}
