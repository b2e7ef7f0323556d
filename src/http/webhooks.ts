import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { InvalidEventError } from '../events/index.js';
import { limitBody, WEBHOOK_SECURITY } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { badRequest, notFound, problemResponse } from './problem.js';
import { publishAndAnswer } from './publish.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { PublishResultSchema } from './schemas.js';
import { WEBHOOK_SOURCE, webhookEvent } from './webhook-event.js';
import { webhookSignatureProblem } from './webhook-signature.js';

async function secretOf(deps: HttpDeps, source: string): Promise<string | undefined> {
  const secrets = deps.options.webhookSecrets;
  if (!secrets || !WEBHOOK_SOURCE.test(source)) return undefined;
  if (typeof secrets === 'function') return (await secrets(source)) || undefined;
  return Object.hasOwn(secrets, source) ? secrets[source] || undefined : undefined;
}

/** Verifies the HMAC over the raw body before anything parses it; keeps the bytes for the handler. */
function requireWebhookSignature(deps: HttpDeps): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const source = c.req.param('source') ?? '';
    const secret = await secretOf(deps, source);
    if (secret === undefined) return notFound(`no webhook source '${source}' is configured`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const problem = await webhookSignatureProblem({
      source,
      secret,
      headers: c.req.raw.headers,
      body,
      nowMs: deps.clock(),
      toleranceSec: deps.options.webhookToleranceSec ?? 300,
    });
    if (problem !== undefined) {
      deps.logger.warn('webhook with a missing or bad signature refused', { source });
      return problemResponse(401, 'unauthorized', 'Unauthorized', problem);
    }
    return next();
  };
}

/** `POST /webhooks/:source`: a provider's HMAC-signed webhook, published as `webhook.<source>.<event>`. */
export function registerWebhookRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  mount(
    api,
    {
      method: 'post',
      path: '/webhooks/{source}',
      tags: ['events'],
      summary: 'Receive a webhook',
      description:
        'HMAC-SHA256 over the raw body with the source secret: GitHub `x-hub-signature-256: sha256=<hex>`, ' +
        'or `x-waooaw-signature: t=<unix s>,v1=<hex of "<t>.<body>">`. Published as ' +
        '`webhook.<source>.<event>`, the event from `x-github-event`, the JSON `type`/`event` field, or ' +
        '`received`; the id from `x-github-delivery` / `webhook-id` when present.',
      security: WEBHOOK_SECURITY,
      request: {
        params: z.object({ source: z.string().regex(WEBHOOK_SOURCE).openapi({ example: 'github' }) }),
        body: { required: true, content: { 'application/json': { schema: z.unknown() } } },
      },
      responses: {
        202: jsonBody(PublishResultSchema, 'Accepted'),
        ...problems(400, 401, 404, 413),
      },
    },
    [limitBody(deps), requireWebhookSignature(deps)],
    async (c) => {
      const source = c.req.param('source')!;
      const body = new Uint8Array(await c.req.arrayBuffer());
      let wrapped: ReturnType<typeof webhookEvent>;
      try {
        wrapped = webhookEvent(source, c.req.raw.headers, body, deps.clock);
      } catch (error) {
        if (error instanceof InvalidEventError)
          return badRequest('the webhook cannot be an event', error.issues);
        throw error;
      }
      if (!wrapped.ok) return badRequest('the webhook body cannot be read', wrapped.issues);
      return publishAndAnswer(c, deps, [wrapped.event]);
    },
  );
}
