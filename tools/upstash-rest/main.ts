/**
 * CLI: serve an Upstash-compatible Redis REST endpoint over a local Redis.
 *
 *   npx tsx tools/upstash-rest/main.ts [--port 8079] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379] [--token T]
 *
 * Environment: UPSTASH_REST_PORT, UPSTASH_REST_HOST, REDIS_URL, UPSTASH_REDIS_REST_TOKEN.
 */
import { parseArgs } from 'node:util';
import { startUpstashRest } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    redis: { type: 'string' },
    token: { type: 'string' },
  },
});

const env = process.env;
const rest = await startUpstashRest({
  port: Number(values.port ?? env.UPSTASH_REST_PORT ?? 8079),
  host: values.host ?? env.UPSTASH_REST_HOST ?? '127.0.0.1',
  redisUrl: values.redis ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  token: values.token ?? env.UPSTASH_REDIS_REST_TOKEN ?? 'local-dev-token',
});

console.log(`Upstash-compatible Redis REST endpoint running at ${rest.url}`);
console.log(`  UPSTASH_REDIS_REST_URL=${rest.url}`);

const stop = () => void rest.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
