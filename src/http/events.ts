import type { OpenAPIHono } from '@hono/zod-openapi';
import { BATCH_CONTENT_TYPE, parseHttpEvents, STRUCTURED_CONTENT_TYPE } from '../events/index.js';
import { BEARER_SECURITY, tokenGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { badRequest, problemResponse } from './problem.js';
import { publishAndAnswer } from './publish.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { CloudEventSchema, EventLogQuerySchema, LoggedEventSchema, PublishResultSchema } from './schemas.js';
import { parseOr400 } from './validate.js';

/**
 * `POST /events`: one event or a batch, CloudEvents structured, batch or binary mode, or plain JSON.
 * `GET /events`: the bounded event log, oldest first, by type and time range (what a replay would send).
 */
export function registerEventRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  mount(
    api,
    {
      method: 'post',
      path: '/events',
      tags: ['events'],
      summary: 'Publish events',
      description:
        'Structured (`application/cloudevents+json`), batch (`application/cloudevents-batch+json`), ' +
        'binary mode (`ce-*` headers, the body is the data), or plain JSON (an object or an array). ' +
        'All or nothing: one bad event refuses the request and nothing is written.',
      security: BEARER_SECURITY,
      request: {
        body: {
          required: true,
          content: {
            [STRUCTURED_CONTENT_TYPE]: { schema: CloudEventSchema },
            [BATCH_CONTENT_TYPE]: { schema: CloudEventSchema.array() },
            'application/json': { schema: CloudEventSchema.or(CloudEventSchema.array()) },
          },
        },
      },
      responses: {
        202: jsonBody(PublishResultSchema, 'Accepted: logged and fanned out'),
        ...problems(400, 401, 413, 415, 503),
      },
    },
    tokenGuard(deps),
    async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const parsed = parseHttpEvents(c.req.header('content-type'), c.req.raw.headers, body);
      if (!parsed.ok) {
        const unsupported = parsed.issues.find((issue) => issue.path === 'content-type');
        if (unsupported) {
          return problemResponse(
            415,
            'unsupportedMediaType',
            'Unsupported Media Type',
            unsupported.message,
            parsed.issues,
          );
        }
        return badRequest('the request does not hold valid CloudEvents', parsed.issues, 'invalidEvent');
      }
      return publishAndAnswer(c, deps, parsed.events);
    },
  );

  mount(
    api,
    {
      method: 'get',
      path: '/events',
      tags: ['events'],
      summary: 'Read the event log',
      description: 'Oldest first. `type` repeats or takes a comma-separated list; `from`/`to` are epoch ms.',
      security: BEARER_SECURITY,
      request: { query: EventLogQuerySchema },
      responses: { 200: jsonBody(LoggedEventSchema.array(), 'Logged events'), ...problems(400, 401, 503) },
    },
    tokenGuard(deps),
    async (c) => {
      const raw = { ...c.req.query(), ...(c.req.queries('type') ? { type: c.req.queries('type') } : {}) };
      const query = parseOr400(EventLogQuerySchema, raw, 'bad event log query');
      const events = await deps.app.store.readEvents({
        limit: query.limit,
        ...(query.type && query.type.length > 0 ? { types: query.type } : {}),
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
      });
      return c.json(events, 200);
    },
  );
}
