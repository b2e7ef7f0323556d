import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { HttpDeps, HttpEnv } from './context.js';
import { notFound, problemResponse } from './problem.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { HealthSchema, ReadySchema } from './schemas.js';

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const tags = ['system'];

/** The security schemes the routes refer to. */
function registerSecuritySchemes(api: OpenAPIHono<HttpEnv>): void {
  const registry = api.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'The API token (publish and admin routes).',
  });
  registry.registerComponent('securitySchemes', 'upstashSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'Upstash-Signature',
    description: "The transport's signed JWT over the URL and a hash of the body (QStash).",
  });
  registry.registerComponent('securitySchemes', 'webhookSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'x-hub-signature-256',
    description:
      'HMAC-SHA256 of the raw body with the source secret: `sha256=<hex>` (GitHub), or ' +
      '`x-waooaw-signature: t=<unix s>,v1=<hex of "<t>.<body>">`.',
  });
}

/** `GET /health`, `/ready`, `/metrics`, `/openapi.json`: no token (probes and scrapers). */
export function registerSystemRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  registerSecuritySchemes(api);

  mount(
    api,
    {
      method: 'get',
      path: '/health',
      tags,
      security: [],
      summary: 'Liveness: the process answers',
      responses: { 200: jsonBody(HealthSchema, 'Alive') },
    },
    [],
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  mount(
    api,
    {
      method: 'get',
      path: '/ready',
      tags,
      security: [],
      summary: 'Readiness: the store is reachable',
      responses: { 200: jsonBody(ReadySchema, 'Ready'), ...problems(503) },
    },
    [],
    async (c) => {
      let ready = true;
      try {
        ready = deps.options.ready ? await deps.options.ready() : true;
      } catch (error) {
        deps.logger.warn('readiness check failed', { error: (error as Error).name });
        ready = false;
      }
      if (ready) return c.json({ status: 'ready' as const }, 200);
      return problemResponse(503, 'notReady', 'Service Unavailable', 'the store is not reachable');
    },
  );

  mount(
    api,
    {
      method: 'get',
      path: '/metrics',
      tags,
      security: [],
      summary: 'Prometheus metrics',
      responses: {
        200: {
          description: 'Text exposition format 0.0.4',
          content: { 'text/plain': { schema: z.string() } },
        },
        ...problems(404),
      },
    },
    [],
    async (c) => {
      if (!deps.options.metrics) return notFound('metrics are not enabled');
      const text = await deps.options.metrics();
      return c.body(text, 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
    },
  );

  let document: unknown;
  mount(
    api,
    {
      method: 'get',
      path: '/openapi.json',
      tags,
      security: [],
      summary: 'This document',
      responses: {
        200: { description: 'OpenAPI 3.0', content: { 'application/json': { schema: z.object({}) } } },
      },
    },
    [],
    (c) => {
      document ??= api.getOpenAPIDocument({
        openapi: '3.0.3',
        info: {
          title: 'waooaw',
          version: '0.1.0',
          description:
            'Event bus and workflow orchestrator. Errors are `application/problem+json` with `issues` naming each bad field.',
        },
      });
      return c.json(document as object, 200);
    },
  );
}
