import type { OpenAPIHono } from '@hono/zod-openapi';
import { ReplayError } from '../bridge/index.js';
import { BEARER_SECURITY, tokenGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { notFound, problemResponse } from './problem.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { DlqEntrySchema, DlqQuerySchema, DlqReplayResultSchema, IdParamSchema } from './schemas.js';
import { parseOr400 } from './validate.js';

/** `GET /dlq`, `GET /dlq/:id`, `POST /dlq/:id/replay`. */
export function registerDlqRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  const guard = tokenGuard(deps);
  const tags = ['dlq'];

  mount(
    api,
    {
      method: 'get',
      path: '/dlq',
      tags,
      summary: 'List dead-letter entries, newest first',
      security: BEARER_SECURITY,
      request: { query: DlqQuerySchema },
      responses: { 200: jsonBody(DlqEntrySchema.array(), 'Entries'), ...problems(400, 401, 503) },
    },
    guard,
    async (c) => {
      const query = parseOr400(DlqQuerySchema, c.req.query(), 'bad DLQ query');
      const entries = await deps.app.store.listDlq({
        limit: query.limit,
        ...(query.subscription ? { subscriptionId: query.subscription } : {}),
        ...(query.kind ? { kind: query.kind } : {}),
      });
      return c.json(entries, 200);
    },
  );

  mount(
    api,
    {
      method: 'get',
      path: '/dlq/{id}',
      tags,
      summary: 'Get one dead-letter entry',
      security: BEARER_SECURITY,
      request: { params: IdParamSchema },
      responses: { 200: jsonBody(DlqEntrySchema, 'The entry'), ...problems(401, 404, 503) },
    },
    guard,
    async (c) => {
      const { id } = parseOr400(IdParamSchema, c.req.param(), 'bad DLQ id');
      const entry = await deps.app.store.getDlq(id);
      return entry ? c.json(entry, 200) : notFound(`no DLQ entry '${id}'`);
    },
  );

  mount(
    api,
    {
      method: 'post',
      path: '/dlq/{id}/replay',
      tags,
      summary: 'Replay one dead-letter entry',
      description:
        'A delivery is delivered again to its subscription as attempt 1; a task starts a fresh run of its ' +
        'workflow with the same input. The entry is removed. 409 when its subscription or run is gone, or its ' +
        'run is still running or completed.',
      security: BEARER_SECURITY,
      request: { params: IdParamSchema },
      responses: { 200: jsonBody(DlqReplayResultSchema, 'Replayed'), ...problems(401, 404, 409, 503) },
    },
    guard,
    async (c) => {
      const { id } = parseOr400(IdParamSchema, c.req.param(), 'bad DLQ id');
      try {
        const result = await deps.app.replayDlq(id);
        return result ? c.json(result, 200) : notFound(`no DLQ entry '${id}'`);
      } catch (error) {
        if (error instanceof ReplayError) return problemResponse(409, 'conflict', 'Conflict', error.message);
        throw error;
      }
    },
  );
}
