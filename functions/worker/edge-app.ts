import { Redis } from '@upstash/redis/cloudflare';
import type { Hono } from 'hono';
import { createWaooaw, type HandlerSubscription, type Waooaw } from '../../src/bridge/index.js';
import type { SubscriptionSnapshot } from '../../src/events/index.js';
import { createHttpApp, type SignedRequest } from '../../src/http/index.js';
import { createMetrics, type MetricsStore, metricsEndpoint } from '../../src/observability/index.js';
import type { Logger } from '../../src/observability/logger.js';
import type { AnyWorkflow } from '../../src/orchestration/index.js';
import { fromUpstash, RedisStore } from '../../src/store/redis/index.js';
import { QStashTransport } from '../../src/transport/qstash/index.js';
import type { WorkerConfig } from './config.js';

/** What an app module exports: the Worker bundles one (see `functions/worker.ts`). */
export interface AppModule {
  workflows: AnyWorkflow[];
  consumers?: HandlerSubscription[];
}

/** The waooaw app over Upstash Redis and QStash, and its HTTP surface, for one request. */
export interface EdgeApp {
  app: Waooaw;
  http: Hono<never>;
  /** Cluster-wide metrics in Redis; the request's updates are written by `close()` (in `waitUntil`). */
  metrics: MetricsStore;
}

/** What outlives a request: parsed once per isolate. */
export interface IsolateParts {
  config: WorkerConfig;
  /** The subscription list as plain data, shared by this isolate's requests (never a promise). */
  subscriptions: SubscriptionSnapshot;
  logger: Logger;
  verifyInvocation: (request: SignedRequest) => Promise<boolean>;
}

/**
 * Builds the app for one request (about half a millisecond of CPU, and no I/O: the Redis and QStash
 * clients are REST clients). Not shared between requests on purpose: the bus's outbox and
 * `@upstash/redis` auto-pipelining batch the calls of whoever is waiting, and in Workers a request
 * waiting on I/O that another request started is cancelled as hung (seen in workerd).
 *
 * @example
 * const edge = createEdgeApp(isolate, { workflows });
 * return edge.http.fetch(request);
 */
export function createEdgeApp(
  { config, logger, verifyInvocation, subscriptions }: IsolateParts,
  module: AppModule,
): EdgeApp {
  const redis = new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    enableAutoPipelining: true,
    enableTelemetry: false,
  });
  const store = new RedisStore(fromUpstash(redis), {
    prefix: config.WAOOAW_PREFIX,
    shards: config.WAOOAW_SHARDS,
  });
  const transport = new QStashTransport({
    qstash: { baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN },
    publicUrl: config.PUBLIC_URL,
    retries: config.QSTASH_RETRIES,
  });
  const metrics = createMetrics({
    redis: fromUpstash(redis),
    prefix: config.WAOOAW_PREFIX,
    onError: (error) => logger.warn('metrics flush failed', { error: String(error) }),
  });
  const app = createWaooaw({
    store,
    transport,
    metrics,
    workflows: module.workflows,
    ...(module.consumers ? { consumers: module.consumers } : {}),
    ...(config.WAOOAW_SIGNING_SECRET ? { signingSecret: config.WAOOAW_SIGNING_SECRET } : {}),
    // One invocation per request: the isolate is the slot.
    slots: 1,
    // Timers end with the request: an event kept for later would never be sent. An event the bus
    // does not take is logged instead.
    eventBacklog: 0,
    bus: { subscriptionSnapshot: subscriptions },
    logger,
  });
  const http = createHttpApp(app, {
    token: config.WAOOAW_TOKEN,
    verifyInvocation,
    webhookSecrets: config.webhookSecrets,
    ready: async () => (await redis.ping()) === 'PONG',
    metrics: metricsEndpoint({ metrics, store }),
    logger,
  }) as unknown as Hono<never>;

  return { app, http, metrics };
}
