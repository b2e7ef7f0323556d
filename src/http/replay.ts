import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ReplayQuery } from '../events/index.js';
import { BEARER_SECURITY, tokenGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { badRequest } from './problem.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { ReplayRequestSchema, ReplayResultSchema } from './schemas.js';
import { readJsonBody } from './validate.js';

const toMs = (instant: number | string): number =>
  typeof instant === 'number' ? instant : Date.parse(instant);

/** `POST /replay`: re-delivers logged events (by time range and type) to their subscriptions, or to one. */
export function registerReplayRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  mount(
    api,
    {
      method: 'post',
      path: '/replay',
      tags: ['events'],
      summary: 'Replay the event log',
      description:
        'Every logged event in [from, to] (inclusive) of the given types is delivered again to each matching ' +
        'subscription, or only to `subscriptionId`. Deliveries carry the replay id.',
      security: BEARER_SECURITY,
      request: {
        body: { required: false, content: { 'application/json': { schema: ReplayRequestSchema } } },
      },
      responses: {
        202: jsonBody(ReplayResultSchema, 'Replay enqueued'),
        ...problems(400, 401, 413, 415, 503),
      },
    },
    tokenGuard(deps),
    async (c) => {
      const body = await readJsonBody(c, ReplayRequestSchema, 'bad replay request');
      const query: ReplayQuery = {
        ...(body.from === undefined ? {} : { from: toMs(body.from) }),
        ...(body.to === undefined ? {} : { to: toMs(body.to) }),
        ...(body.types ? { types: body.types } : {}),
        ...(body.subscriptionId ? { subscriptionId: body.subscriptionId } : {}),
        ...(body.limit ? { limit: body.limit } : {}),
      };
      if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
        return badRequest('bad replay request', [{ path: 'to', message: 'must not be before from' }]);
      }
      if (query.subscriptionId !== undefined) {
        // The bus's cache looks the id up (and reads the store again when it does not know it).
        if (!(await deps.app.bus.subscriptions.get(query.subscriptionId))) {
          return badRequest('bad replay request', [
            { path: 'subscriptionId', message: `no subscription '${query.subscriptionId}'` },
          ]);
        }
      }
      return c.json(await deps.app.bus.replay(query), 202);
    },
  );
}
