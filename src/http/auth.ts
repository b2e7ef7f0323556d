import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { timingSafeEqual } from '../events/index.js';
import type { HttpDeps, HttpEnv, SignedRequest } from './context.js';
import { problemResponse } from './problem.js';

const encoder = new TextEncoder();

async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Compares a presented token with the expected one in constant time: both are hashed first, so
 * neither where they differ nor how long the expected token is shows in the timing.
 */
export async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(presented), sha256Hex(expected)]);
  return timingSafeEqual(a, b);
}

function bearerOf(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer[ ]+(\S+)\s*$/i);
  return match?.[1];
}

export const unauthorized = (detail: string): Response =>
  problemResponse(401, 'unauthorized', 'Unauthorized', detail, undefined, {
    'www-authenticate': 'Bearer realm="waooaw"',
  });

/** Publish and admin routes: a bearer token, checked before anything else runs. */
export function requireToken(deps: HttpDeps): MiddlewareHandler<HttpEnv> {
  const { token, insecureNoAuth } = deps.options;
  return async (c, next) => {
    if (token === undefined || token === '') {
      if (insecureNoAuth) return next();
      return problemResponse(
        503,
        'notConfigured',
        'Service Unavailable',
        'this route needs an API token and none is configured',
      );
    }
    const presented = bearerOf(c.req.header('authorization'));
    if (presented === undefined) return unauthorized('missing bearer token');
    if (!(await tokenMatches(presented, token))) return unauthorized('invalid bearer token');
    return next();
  };
}

/** 413 problem past the body limit (streams are counted as they are read, not trusted). */
export function limitBody(deps: HttpDeps): MiddlewareHandler<HttpEnv> {
  return bodyLimit({
    maxSize: deps.bodyLimitBytes,
    onError: () =>
      problemResponse(
        413,
        'payloadTooLarge',
        'Payload Too Large',
        `the body is larger than ${deps.bodyLimitBytes} bytes`,
      ),
  });
}

/**
 * Invocation routes: the transport's signature over the URL and the raw body, verified before the
 * body is parsed. The verified text is kept in `rawBody`.
 */
export function requireSignature(deps: HttpDeps): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const body = await c.req.text();
    const request: SignedRequest = { url: c.req.url, body, headers: c.req.raw.headers };
    let valid = false;
    try {
      valid = await deps.options.verifyInvocation(request);
    } catch (error) {
      deps.logger.warn('signature check failed', { path: c.req.path, error: (error as Error).name });
    }
    if (!valid) {
      deps.logger.warn('request with a missing or bad signature refused', { path: c.req.path });
      return problemResponse(401, 'unauthorized', 'Unauthorized', 'missing or invalid signature');
    }
    c.set('rawBody', body);
    return next();
  };
}

/** Token, then body limit: an unauthenticated client never gets its body read. */
export const tokenGuard = (deps: HttpDeps) => [requireToken(deps), limitBody(deps)] as const;

/** Body limit, then signature: the signature covers the body, so it has to be read first. */
export const signatureGuard = (deps: HttpDeps) => [limitBody(deps), requireSignature(deps)] as const;

/** Security requirement objects for the OpenAPI document. */
export const BEARER_SECURITY = [{ bearerAuth: [] }];
export const SIGNATURE_SECURITY = [{ upstashSignature: [] }];
export const WEBHOOK_SECURITY = [{ webhookSignature: [] }];
