import { emptySubscriptionSnapshot } from '../../src/events/index.js';
import { problemResponse } from '../../src/http/problem.js';
import { jsonLogger } from '../../src/observability/logger.js';
import {
  setupTracing,
  type TracingHandle,
  tracingOptionsFromEnv,
} from '../../src/observability/node-tracing.js';
import { loadWorkerConfig, WorkerConfigError, type WorkerEnv } from './config.js';
import { type AppModule, createEdgeApp, type IsolateParts } from './edge-app.js';
import type { ExecutionContext, ScheduledController, WorkerHandlers } from './runtime.js';
import { invocationVerifier } from './verify.js';

/**
 * Routes that do not install the subscriptions first: the transport's (the signature is checked
 * before anything runs, and an invocation only exists because its event was published after the
 * subscriptions were installed) and the liveness probe.
 */
const SKIP_INSTALL = /^\/(invoke|callbacks\/|health$)/;

interface Isolate extends IsolateParts {
  /** The durable subscriptions are installed (once per isolate; installing again is harmless). */
  installed: boolean;
  /** OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is bound (set up once per isolate). */
  tracing: Promise<TracingHandle | undefined>;
}

function isolateFor(env: WorkerEnv): Isolate {
  const config = loadWorkerConfig(env);
  return {
    config,
    logger: jsonLogger({ level: config.LOG_LEVEL }).child({ runtime: 'workers' }),
    verifyInvocation: invocationVerifier({
      currentSigningKey: config.QSTASH_CURRENT_SIGNING_KEY,
      nextSigningKey: config.QSTASH_NEXT_SIGNING_KEY,
      publicUrl: config.PUBLIC_URL,
    }),
    installed: false,
    subscriptions: emptySubscriptionSnapshot(),
    tracing: setupTracing(tracingOptionsFromEnv(env as unknown as Record<string, unknown>)),
  };
}

/** After the response: write the request's metrics and export its spans (timers end with it). */
function finish(parts: Isolate, edge: ReturnType<typeof createEdgeApp>, ctx: ExecutionContext): void {
  ctx.waitUntil(
    Promise.all([edge.metrics.close(), parts.tracing.then((t) => t?.flush())]).catch((error) =>
      parts.logger.warn('telemetry flush failed', { error: String(error) }),
    ),
  );
}

/**
 * The Worker's `fetch` and `scheduled` for an app module. The configuration and the signature
 * verifier are built once per isolate (kept in module scope, keyed by the `env` object); the app
 * itself is built per request (see `createEdgeApp`), and holds no promise another request could
 * wait on.
 *
 * @example
 * import * as appModule from '../examples/index.js';
 * export default createWorker(appModule);
 */
export function createWorker(module: AppModule): WorkerHandlers<WorkerEnv> {
  const isolates = new WeakMap<object, Isolate>();
  const isolate = (env: WorkerEnv): Isolate => {
    let found = isolates.get(env);
    if (!found) {
      found = isolateFor(env);
      isolates.set(env, found);
    }
    return found;
  };
  const install = async (parts: Isolate, edge: ReturnType<typeof createEdgeApp>) => {
    if (parts.installed) return;
    await edge.app.installSubscriptions();
    parts.installed = true;
  };

  return {
    async fetch(request, env, ctx) {
      let parts: Isolate;
      try {
        parts = isolate(env);
      } catch (error) {
        if (!(error instanceof WorkerConfigError)) throw error;
        console.error(error.message);
        return problemResponse(500, 'notConfigured', 'Internal Server Error', 'the Worker is not configured');
      }
      const edge = createEdgeApp(parts, module);
      try {
        if (!SKIP_INSTALL.test(new URL(request.url).pathname)) await install(parts, edge);
        return await edge.http.fetch(request);
      } finally {
        finish(parts, edge, ctx);
      }
    },

    async scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext) {
      const parts = isolate(env);
      const edge = createEdgeApp(parts, module);
      const tick = async () => {
        await install(parts, edge);
        const [swept] = await Promise.all([edge.app.sweep(), edge.app.publishMetricsSnapshot()]);
        parts.logger.info('cron tick', { cron: controller.cron, swept });
      };
      ctx.waitUntil(tick().finally(() => finish(parts, edge, ctx)));
    },
  };
}
