import { createRoute, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Handler, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { HttpEnv } from './context.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { ProblemSchema } from './schemas.js';

const PROBLEM_TEXT: Record<number, string> = {
  400: 'Bad input: `issues` name each bad field; nothing was written',
  401: 'Missing or invalid credentials (token or signature); nothing ran',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'The body is over the size limit',
  415: 'Unsupported content type',
  489: 'A permanently bad invocation (QStash stops retrying: `Upstash-NonRetryable-Error: true`)',
  500: 'Unexpected error (QStash retries)',
  503: 'Not configured, or not ready',
};

/** Problem+json responses for the given status codes, for a route's `responses`. */
export function problems(...codes: number[]): RouteConfig['responses'] {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      {
        description: PROBLEM_TEXT[code] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
      },
    ]),
  );
}

export function jsonBody(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * Documents a route in the app's OpenAPI registry and mounts its handler behind `guards`. Input is
 * parsed by the handler itself (not hono's validators), so guards always run before any body is read.
 */
export function mount(
  api: OpenAPIHono<HttpEnv>,
  config: RouteConfig,
  guards: readonly MiddlewareHandler<HttpEnv>[],
  handler: Handler<HttpEnv>,
): void {
  const route = createRoute(config);
  api.openAPIRegistry.registerPath(route);
  api.on([route.method.toUpperCase()], [route.getRoutingPath()], ...guards, handler);
}
