/**
 * CLI: run a QStash-compatible endpoint backed by Redis (development only).
 *
 *   npx tsx tools/qstash-local/main.ts [--port 8080] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]
 *     [--prefix qstash-local:] [--token T] [--current-signing-key K] [--next-signing-key K]
 *     [--retry-backoff-ms N]
 *
 * Environment: QSTASH_DEV_PORT, QSTASH_LOCAL_HOST, REDIS_URL, QSTASH_LOCAL_PREFIX, QSTASH_TOKEN,
 * QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY, QSTASH_LOCAL_RETRY_BACKOFF_MS.
 * Without them it uses the QStash dev server's token and keys on port 8080, so clients with
 * QSTASH_DEV=true talk to it as to the official dev server.
 */
import { parseArgs } from 'node:util';
import { startQStashLocal } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    redis: { type: 'string' },
    prefix: { type: 'string' },
    token: { type: 'string' },
    'current-signing-key': { type: 'string' },
    'next-signing-key': { type: 'string' },
    'retry-backoff-ms': { type: 'string' },
  },
});

const env = process.env;
const port = values.port ?? env.QSTASH_DEV_PORT;
const backoff = values['retry-backoff-ms'] ?? env.QSTASH_LOCAL_RETRY_BACKOFF_MS;
const qstash = await startQStashLocal({
  ...(port !== undefined && { port: Number(port) }),
  ...(backoff !== undefined && { retryBackoffMs: Number(backoff) }),
  host: values.host ?? env.QSTASH_LOCAL_HOST ?? '127.0.0.1',
  redisUrl: values.redis ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: values.prefix ?? env.QSTASH_LOCAL_PREFIX ?? 'qstash-local:',
  ...optional('token', values.token ?? env.QSTASH_TOKEN),
  ...optional('currentSigningKey', values['current-signing-key'] ?? env.QSTASH_CURRENT_SIGNING_KEY),
  ...optional('nextSigningKey', values['next-signing-key'] ?? env.QSTASH_NEXT_SIGNING_KEY),
});

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

console.log(`qstash-local running at ${qstash.url}`);
console.log(`  QSTASH_URL=${qstash.url}`);

const stop = () => void qstash.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
