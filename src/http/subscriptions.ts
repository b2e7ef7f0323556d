import type { OpenAPIHono } from '@hono/zod-openapi';
import { EventValidationError, type Issue, SubscriptionExistsError } from '../events/index.js';
import type { SubscriptionTarget } from '../store/index.js';
import { BEARER_SECURITY, tokenGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { badRequest, notFound, problemResponse } from './problem.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { IdParamSchema, NewSubscriptionSchema, SubscriptionSchema } from './schemas.js';
import { parseOr400, readJsonBody } from './validate.js';

/** A workflow or task target must name something this app can run. */
function unknownTarget(deps: HttpDeps, target: SubscriptionTarget): Issue[] {
  if (target.kind === 'workflow' && !deps.app.registry.get(target.workflow)) {
    return [{ path: 'target.workflow', message: `unknown workflow '${target.workflow}'` }];
  }
  if (target.kind === 'task' && !deps.app.registry.getTask(target.task)) {
    return [{ path: 'target.task', message: `unknown task '${target.task}'` }];
  }
  return [];
}

/** `GET/POST /subscriptions`, `DELETE /subscriptions/:id`. */
export function registerSubscriptionRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  const guard = tokenGuard(deps);
  const tags = ['subscriptions'];

  mount(
    api,
    {
      method: 'get',
      path: '/subscriptions',
      tags,
      summary: 'List subscriptions',
      security: BEARER_SECURITY,
      responses: {
        200: jsonBody(SubscriptionSchema.array(), 'Every subscription'),
        ...problems(401, 503),
      },
    },
    guard,
    async (c) => c.json(await deps.app.store.listSubscriptions(), 200),
  );

  mount(
    api,
    {
      method: 'post',
      path: '/subscriptions',
      tags,
      summary: 'Subscribe',
      description:
        'Pattern: dotted segments, `*` matches one, `#` (or `**`) zero or more. A given `id` that exists is a 409.',
      security: BEARER_SECURITY,
      request: {
        body: { required: true, content: { 'application/json': { schema: NewSubscriptionSchema } } },
      },
      responses: {
        201: jsonBody(SubscriptionSchema, 'Created'),
        ...problems(400, 401, 409, 413, 415, 503),
      },
    },
    guard,
    async (c) => {
      const input = await readJsonBody(c, NewSubscriptionSchema, 'the subscription is not valid');
      const issues = unknownTarget(deps, input.target);
      if (issues.length > 0) return badRequest('the subscription target does not exist', issues);
      try {
        const record = await deps.app.bus.subscribe(input, { onlyIfAbsent: true });
        return c.json(record, 201, { location: `/subscriptions/${encodeURIComponent(record.id)}` });
      } catch (error) {
        if (error instanceof EventValidationError)
          return badRequest('the subscription is not valid', error.issues);
        if (error instanceof SubscriptionExistsError)
          return problemResponse(409, 'conflict', 'Conflict', error.message);
        throw error;
      }
    },
  );

  mount(
    api,
    {
      method: 'delete',
      path: '/subscriptions/{id}',
      tags,
      summary: 'Unsubscribe',
      security: BEARER_SECURITY,
      request: { params: IdParamSchema },
      responses: { 204: { description: 'Deleted' }, ...problems(401, 404, 503) },
    },
    guard,
    async (c) => {
      const { id } = parseOr400(IdParamSchema, c.req.param(), 'bad subscription id');
      if (!(await deps.app.bus.unsubscribe(id))) return notFound(`no subscription '${id}'`);
      return c.body(null, 204);
    },
  );
}
