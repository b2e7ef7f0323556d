import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll } from 'vitest';
import { type RunningQStashLocal, startQStashLocal } from '../../../tools/qstash-local/server.js';
import { type RunningUpstashRest, startUpstashRest } from '../../../tools/upstash-rest/server.js';
import { freePort } from '../../support/net.js';
import { deleteKeys, keysUnder, newPrefix, REDIS_URL } from '../../support/redis.js';
import { bundlePath } from './build.js';
import { type Control, startControl } from './control.js';
import { startCountingProxy } from './counting-proxy.js';

export const API_TOKEN = 'workers-test-token-0123456789';
const COMPATIBILITY_DATE = '2026-04-20';

export interface Edge {
  /** The Worker's URL (also its PUBLIC_URL: the local QStash delivers there). */
  url: string;
  mf: Miniflare;
  qstash: RunningQStashLocal;
  /** Redis traffic of the Worker, counted in front of the REST endpoint. */
  redisTraffic: { requests: number; commands: number };
  resetTraffic(): void;
  control: Control;
  /** Direct Redis access, for checks only. */
  redis: Redis;
  prefix: string;
  signingKeys: { current: string; next: string };
  /** The local QStash's token (to publish to the Worker as its transport does). */
  qstashToken: string;
  /** A request to the Worker with the API token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The keys the app and the local QStash hold under this file's prefix. */
  keys(): Promise<string[]>;
}

/**
 * Per test file: a real Redis behind the local Upstash REST endpoint, the local QStash, a control
 * server, and the bundled Worker (`entry`) in workerd, all on random ports under one key prefix.
 */
export function useEdge(entry = 'test/workers/worker-under-test.ts'): Edge {
  const prefix = newPrefix();
  const signingKeys = { current: `sig_current_${randomUUID()}`, next: `sig_next_${randomUUID()}` };
  const qstashToken = `qstash-${randomUUID()}`;
  const restToken = `rest-${randomUUID()}`;
  const redis = new Redis(REDIS_URL);
  let rest: RunningUpstashRest | undefined;
  let proxy: Awaited<ReturnType<typeof startCountingProxy>> | undefined;
  const edge = {
    prefix,
    signingKeys,
    qstashToken,
    redis,
    resetTraffic: () => proxy?.reset(),
    api: (path: string, init: RequestInit = {}) =>
      fetch(`${edge.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(init.headers as Record<string, string>) },
      }),
    keys: () => keysUnder(redis, prefix),
  } as Edge;

  beforeAll(async () => {
    edge.control = await startControl();
    rest = await startUpstashRest({ redisUrl: REDIS_URL, port: 0, token: restToken });
    proxy = await startCountingProxy(rest.url);
    edge.redisTraffic = proxy.counts;
    edge.qstash = await startQStashLocal({
      redisUrl: REDIS_URL,
      port: 0,
      token: qstashToken,
      currentSigningKey: signingKeys.current,
      nextSigningKey: signingKeys.next,
      prefix: `${prefix}qstash:`,
      retryBackoffMs: 200,
      pollIntervalMs: 20,
    });
    const port = await freePort();
    edge.url = `http://127.0.0.1:${port}`;
    edge.mf = new Miniflare({
      // The bundle is one module; listing it keeps miniflare from chasing the QStash SDK's
      // never-taken dynamic `node:` imports (its dev-server code).
      modules: [{ type: 'ESModule', path: bundlePath(entry) }],
      compatibilityDate: COMPATIBILITY_DATE,
      host: '127.0.0.1',
      port,
      bindings: {
        UPSTASH_REDIS_REST_URL: proxy.url,
        UPSTASH_REDIS_REST_TOKEN: restToken,
        QSTASH_URL: edge.qstash.url,
        QSTASH_TOKEN: qstashToken,
        QSTASH_CURRENT_SIGNING_KEY: signingKeys.current,
        QSTASH_NEXT_SIGNING_KEY: signingKeys.next,
        QSTASH_RETRIES: '2',
        PUBLIC_URL: edge.url,
        WAOOAW_TOKEN: API_TOKEN,
        WAOOAW_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      },
    });
    await edge.mf.ready;
  });

  afterAll(async () => {
    await edge.mf?.dispose();
    await edge.qstash?.close();
    await proxy?.close();
    await rest?.close();
    await edge.control?.close();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  return edge;
}
