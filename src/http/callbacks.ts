import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { TRANSPORT_GAVE_UP } from '../bridge/index.js';
import { SIGNATURE_SECURITY, signatureGuard } from './auth.js';
import type { HttpDeps, HttpEnv } from './context.js';
import { nonRetryable, parseInvocation } from './invoke.js';
import { jsonBody, mount, problems } from './route-docs.js';
import { FailureCallbackSchema } from './schemas.js';
import { check } from './validate.js';

const MAX_ERROR_CHARS = 1_000;

function decodeBase64(value: string | undefined): string {
  if (!value) return '';
  try {
    const bytes = Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return '';
  }
}

/** `HTTP 500: <the last response body>`, bounded. */
function lastErrorOf(status: number, body: string): string {
  const head = status > 0 ? `HTTP ${status}` : 'no response';
  const text = body.trim();
  const line = text === '' ? head : `${head}: ${text}`;
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}…` : line;
}

/**
 * `POST /callbacks/failure`: QStash calls it once it has given up on an invocation. The entry goes to
 * the DLQ (a delivery under its subscription, a task under its run) so it can be seen and replayed.
 */
export function registerCallbackRoutes(api: OpenAPIHono<HttpEnv>, deps: HttpDeps): void {
  mount(
    api,
    {
      method: 'post',
      path: '/callbacks/failure',
      tags: ['transport'],
      summary: 'Transport failure callback',
      description:
        "QStash's failure callback: `sourceBody` is our invocation (base64). Recorded as a DLQ entry with reason " +
        `'${TRANSPORT_GAVE_UP}'.`,
      security: SIGNATURE_SECURITY,
      request: {
        body: { required: true, content: { 'application/json': { schema: FailureCallbackSchema } } },
      },
      responses: {
        200: jsonBody(z.object({ dlqId: z.string() }).openapi('FailureRecorded'), 'Recorded in the DLQ'),
        ...problems(401, 413, 489),
      },
    },
    signatureGuard(deps),
    async (c) => {
      let value: unknown;
      try {
        value = JSON.parse(c.get('rawBody'));
      } catch {
        return nonRetryable('the body is not JSON', [{ path: 'body', message: 'body is not valid JSON' }]);
      }
      const callback = check(FailureCallbackSchema, value);
      if (!callback.ok) return nonRetryable('the body is not a failure callback', callback.issues);
      const source = parseInvocation(decodeBase64(callback.data.sourceBody));
      if (!source.ok) {
        const issues = source.issues.map((issue) => ({ ...issue, path: `sourceBody.${issue.path}` }));
        return nonRetryable('sourceBody is not an invocation of this app', issues);
      }
      const lastError = lastErrorOf(callback.data.status, decodeBase64(callback.data.body));
      const entry = await deps.app.deadLetter(source.invocation, lastError);
      return c.json({ dlqId: entry.id }, 200);
    },
  );
}
