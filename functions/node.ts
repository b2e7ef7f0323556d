/**
 * waooaw on Node: the Hono app on @hono/node-server, Redis (REDIS_URL) or the embedded in-memory
 * default, an in-process dispatcher with WORKER_POOL_SIZE slots, the lease sweeper and the metrics
 * snapshot on timers. SIGTERM drains in-flight invocations before exit.
 *
 *   npm start                                  # embedded, bundled examples, port 8787
 *   REDIS_URL=redis://127.0.0.1:6379 WAOOAW_TOKEN=... npm start
 *   WAOOAW_APP=./my-app.ts npm start           # your own workflows
 */
import { serve } from '@hono/node-server';
import { verifyDelivery } from '../src/events/index.js';
import { createHttpApp } from '../src/http/index.js';
import { createWaooaw, type Invocation, jsonLogger } from '../src/index.js';
import { loadNodeConfig } from './config.js';
import { loadAppModule } from './node/app-module.js';
import { createNodeParts } from './node/parts.js';
import { startNodeTelemetry } from './node/telemetry.js';

const config = loadNodeConfig(process.env);
const logger = jsonLogger({ level: config.LOG_LEVEL });
if (config.REDIS_URL && !config.WAOOAW_TOKEN) {
  logger.error('WAOOAW_TOKEN is required with REDIS_URL: the publish and admin routes would be open');
  process.exit(1);
}

const { module, name } = await loadAppModule(config.WAOOAW_APP);
// A dropped invocation (redelivery cap reached) becomes a DLQ entry; `app` exists by the time any runs.
const parts = createNodeParts(config, logger, (dropped) => {
  if (isInvocation(dropped.invocation)) {
    void app.deadLetter(dropped.invocation, dropped.error, dropped.deliveries).catch((error) => {
      logger.error('could not record a dropped invocation', { error: String(error) });
    });
  } else {
    logger.error('dropped an unreadable invocation', {
      error: dropped.error,
      deliveries: dropped.deliveries,
    });
  }
});
const telemetry = await startNodeTelemetry(config, logger, parts.metricsClient);
const app = createWaooaw({
  store: parts.store,
  transport: parts.transport,
  workflows: module.workflows,
  consumers: module.consumers ?? [],
  workerId: `${config.HOSTNAME ?? 'node'}-${process.pid}`,
  slots: config.WORKER_POOL_SIZE,
  logger,
  metrics: telemetry.metrics,
  ...(config.WAOOAW_SIGNING_SECRET ? { signingSecret: config.WAOOAW_SIGNING_SECRET } : {}),
});
await app.start();

const secret = config.WAOOAW_SIGNING_SECRET;
const http = createHttpApp(app, {
  ...(config.WAOOAW_TOKEN ? { token: config.WAOOAW_TOKEN } : { insecureNoAuth: true }),
  // On Node invocations arrive in-process; `/invoke` only accepts calls signed with the shared secret.
  verifyInvocation: async ({ body, headers }) =>
    secret ? verifyDelivery(secret, headers.get('waooaw-signature'), body) : false,
  webhookSecrets: config.webhookSecrets,
  metrics: () => telemetry.render(app),
  ready: parts.ready,
  logger,
});

const server = serve({ fetch: http.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  logger.info('waooaw listening', {
    url: `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${info.port}`,
    mode: parts.mode,
    app: name,
    workflows: module.workflows.map((w) => w.name),
    slots: config.WORKER_POOL_SIZE,
    auth: config.WAOOAW_TOKEN ? 'bearer token' : 'open (embedded development mode: set WAOOAW_TOKEN)',
  });
});

const timers = [
  setInterval(
    () => void app.sweep().catch((e) => logger.error('sweep failed', { error: String(e) })),
    config.SWEEP_INTERVAL_MS,
  ),
  setInterval(
    () =>
      void app.publishMetricsSnapshot().catch((e) => logger.error('snapshot failed', { error: String(e) })),
    config.SNAPSHOT_INTERVAL_MS,
  ),
];

function isInvocation(value: unknown): value is Invocation {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'task' || kind === 'delivery';
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('draining', { signal });
  for (const t of timers) clearInterval(t);
  // Requests in flight are answered first (a publish cut off after its log append and before its
  // fan-out would take the producer's retry for a duplicate); idle keep-alive connections close now.
  // A client that keeps sending on a kept-alive connection is served for a grace period, then its
  // connection is closed too, so the app itself always gets its turn to drain.
  const connections = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
  const requestsDone = new Promise<void>((resolve) => server.close(() => resolve()));
  connections.closeIdleConnections?.();
  const grace = Math.min(5_000, config.SHUTDOWN_TIMEOUT_MS / 2);
  const drain = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([requestsDone, new Promise((r) => (timer = setTimeout(r, grace)))]);
    clearTimeout(timer);
    connections.closeAllConnections?.();
    await app.stop();
    return true;
  };
  const drained = await Promise.race([
    drain(),
    new Promise<boolean>((r) => setTimeout(() => r(false), config.SHUTDOWN_TIMEOUT_MS)),
  ]);
  await telemetry.stop();
  await parts.close();
  logger.info('stopped', { drained });
  process.exit(drained ? 0 : 1);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
