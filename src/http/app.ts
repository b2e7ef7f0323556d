import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Waooaw } from '../bridge/index.js';
import { silentLogger } from '../observability/logger.js';
import { registerCallbackRoutes } from './callbacks.js';
import type { HttpAppOptions, HttpDeps, HttpEnv } from './context.js';
import { registerDlqRoutes } from './dlq.js';
import { registerEventRoutes } from './events.js';
import { registerInvokeRoutes } from './invoke.js';
import { ProblemError, problemResponse } from './problem.js';
import { registerReplayRoutes } from './replay.js';
import { registerRunRoutes } from './runs.js';
import { registerSubscriptionRoutes } from './subscriptions.js';
import { registerSystemRoutes } from './system.js';
import { registerWebhookRoutes } from './webhooks.js';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The HTTP surface of a waooaw app as one Hono app, for Node (`@hono/node-server`) and Workers alike:
 * Web-standard `Request`/`Response` only. Publish and admin routes need the bearer token; `/invoke`
 * and `/callbacks/*` need the transport's signature; webhooks their source's HMAC. Every error is
 * `application/problem+json`.
 *
 * @example
 * const http = createHttpApp(app, {
 *   token: env.WAOOAW_TOKEN,
 *   verifyInvocation: ({ body, headers, url }) =>
 *     receiver.verify({ body, url, signature: headers.get('upstash-signature') ?? '' }).catch(() => false),
 * });
 * export default { fetch: http.fetch };
 */
export function createHttpApp(app: Waooaw, options: HttpAppOptions): Hono<HttpEnv> {
  if (typeof options.verifyInvocation !== 'function') {
    throw new TypeError('createHttpApp: options.verifyInvocation is required');
  }
  const deps: HttpDeps = {
    app,
    options,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    logger: (options.logger ?? silentLogger).child({ component: 'http' }),
    clock: options.clock ?? Date.now,
  };
  const api = new OpenAPIHono<HttpEnv>();

  api.notFound((c) =>
    problemResponse(404, 'notFound', 'Not Found', `no route ${c.req.method} ${c.req.path}`),
  );
  api.onError((error, c) => {
    if (error instanceof ProblemError) return error.response;
    if (error instanceof HTTPException && error.status < 500) {
      return problemResponse(error.status, 'invalidRequest', error.message || 'Bad Request');
    }
    // Only the error's name and message: never headers or bodies, which may carry secrets.
    deps.logger.error('request failed', {
      method: c.req.method,
      path: c.req.path,
      error: error.name,
      message: error.message,
    });
    return problemResponse(500, 'internal', 'Internal Server Error', 'an unexpected error occurred');
  });

  registerSystemRoutes(api, deps);
  registerEventRoutes(api, deps);
  registerWebhookRoutes(api, deps);
  registerSubscriptionRoutes(api, deps);
  registerInvokeRoutes(api, deps);
  registerCallbackRoutes(api, deps);
  registerRunRoutes(api, deps);
  registerDlqRoutes(api, deps);
  registerReplayRoutes(api, deps);
  return api;
}
