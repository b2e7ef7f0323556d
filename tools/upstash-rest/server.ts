import { Redis } from 'ioredis';
import { listen } from '../shared/listen.js';
import { createUpstashRestApp } from './app.js';

export interface UpstashRestOptions {
  /** Redis to serve, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Bearer token clients must send (`new Redis({ url, token })`). */
  token: string;
  host?: string;
}

export interface RunningUpstashRest {
  /** Base URL to hand to `@upstash/redis` as `url`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Start an Upstash-compatible Redis REST endpoint over a real Redis. Development tool only.
 *
 * @example
 * const rest = await startUpstashRest({ redisUrl: 'redis://127.0.0.1:6379', port: 0, token: 'dev' });
 * const redis = new (await import('@upstash/redis')).Redis({ url: rest.url, token: 'dev' });
 * await redis.set('k', 'v');
 * await rest.close();
 */
export async function startUpstashRest({
  redisUrl,
  port,
  token,
  host = '127.0.0.1',
}: UpstashRestOptions): Promise<RunningUpstashRest> {
  // RESP2 so replies have exactly the shapes Upstash returns (no RESP3 maps, doubles or booleans).
  const redis = new Redis(redisUrl, { protocol: 2, lazyConnect: true });
  await redis.connect();
  const server = await listen(createUpstashRestApp({ redis, token }).fetch, { port, host });
  return {
    url: server.url,
    port: server.port,
    async close() {
      await server.close();
      redis.disconnect();
    },
  };
}
