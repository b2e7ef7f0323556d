import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Issue } from '../events/index.js';
import type { Invocation } from '../transport/index.js';
import { SIGNATURE_SECURITY, signatureGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { problemResponse } from './problem.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { InvocationSchema, InvokeAckSchema } from './schemas.js';
import { check } from './validate.js';

/** QStash stops retrying a message answered with 489 and this header. */
export const NON_RETRYABLE_HEADER = 'Upstash-NonRetryable-Error';
export const NON_RETRYABLE_STATUS = 489;

/** A body that will never become valid: tell the transport to stop delivering it. */
export function nonRetryable(detail: string, issues: Issue[]): Response {
  return problemResponse(NON_RETRYABLE_STATUS, 'invalidRequest', 'Non-Retryable Error', detail, issues, {
    [NON_RETRYABLE_HEADER]: 'true',
  });
}

/** Parses the (already verified) body as an invocation. */
export function parseInvocation(
  text: string,
): { ok: true; invocation: Invocation } | { ok: false; issues: Issue[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, issues: [{ path: 'body', message: 'body is not valid JSON' }] };
  }
  const result = check(InvocationSchema, value);
  return result.ok ? { ok: true, invocation: result.data as Invocation } : result;
}

/** `POST /invoke`: the transport delivers one invocation; the signature is checked before anything else. */
export function registerInvokeRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  mount(
    api,
    {
      method: 'post',
      path: '/invoke',
      tags: ['transport'],
      summary: 'Run one invocation (transport delivery)',
      description:
        'Signed by the transport (QStash `Upstash-Signature`). 200 acknowledges; 500 asks for a redelivery ' +
        '(with `Retry-After` when the handler asked for a delay); 489 with `Upstash-NonRetryable-Error: true` ' +
        'for a body that can never run.',
      security: SIGNATURE_SECURITY,
      request: { body: { required: true, content: { 'application/json': { schema: InvocationSchema } } } },
      responses: {
        200: jsonBody(InvokeAckSchema, 'Done, or nothing to do'),
        ...problems(401, 413, 489, 500),
      },
    },
    signatureGuard(deps),
    async (c) => {
      const parsed = parseInvocation(c.get('rawBody'));
      if (!parsed.ok) return nonRetryable('the body is not an invocation', parsed.issues);
      const outcome = await deps.app.invoke(parsed.invocation);
      if (outcome.status === 'ack') {
        // A push transport has no acknowledgement to carry them: enqueue before answering 200.
        if (outcome.followUps && outcome.followUps.length > 0)
          await deps.app.transport.enqueue(outcome.followUps);
        return c.json({ status: 'ack' as const }, 200);
      }
      const headers: Record<string, string> =
        outcome.delayMs === undefined
          ? {}
          : { 'retry-after': String(Math.max(1, Math.ceil(outcome.delayMs / 1000))) };
      return problemResponse(500, 'invocationFailed', 'Invocation Failed', outcome.error, undefined, headers);
    },
  );
}
