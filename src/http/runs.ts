import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { BEARER_SECURITY, tokenGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { notFound, problemResponse } from './problem.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { CancelResultSchema, IdParamSchema, RunViewSchema } from './schemas.js';
import { parseOr400, readJsonBody } from './validate.js';

const CancelRequestSchema = z
  .strictObject({ reason: z.string().min(1).max(500).optional() })
  .openapi('CancelRequest');

/** `GET /runs/:id`, `POST /runs/:id/cancel`. */
export function registerRunRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  const guard = tokenGuard(deps);
  const tags = ['runs'];

  mount(
    api,
    {
      method: 'get',
      path: '/runs/{id}',
      tags,
      summary: 'Get a run with its tasks',
      security: BEARER_SECURITY,
      request: { params: IdParamSchema },
      responses: { 200: jsonBody(RunViewSchema, 'The run'), ...problems(401, 404, 503) },
    },
    guard,
    async (c) => {
      const { id } = parseOr400(IdParamSchema, c.req.param(), 'bad run id');
      const run = await deps.app.orchestrator.getRun(id);
      return run ? c.json(run, 200) : notFound(`no run '${id}'`);
    },
  );

  mount(
    api,
    {
      method: 'post',
      path: '/runs/{id}/cancel',
      tags,
      summary: 'Cancel a run',
      description: 'Nothing new starts; attempts running here are aborted. 409 when the run already ended.',
      security: BEARER_SECURITY,
      request: {
        params: IdParamSchema,
        body: { required: false, content: { 'application/json': { schema: CancelRequestSchema } } },
      },
      responses: {
        200: jsonBody(CancelResultSchema, 'Cancelled'),
        ...problems(400, 401, 404, 409, 413, 415, 503),
      },
    },
    guard,
    async (c) => {
      const { id } = parseOr400(IdParamSchema, c.req.param(), 'bad run id');
      const { reason } = await readJsonBody(c, CancelRequestSchema, 'bad cancel request');
      const result = await deps.app.orchestrator.cancelRun(id, reason);
      if (result.ok) return c.json({ runId: id, status: 'cancelled' as const }, 200);
      if (result.reason === 'not_found') return notFound(`no run '${id}'`);
      const detail =
        result.reason === 'compensating'
          ? `run '${id}' is compensating; a saga in progress is not interrupted`
          : `run '${id}' has already ended`;
      return problemResponse(409, 'conflict', 'Conflict', detail);
    },
  );
}
