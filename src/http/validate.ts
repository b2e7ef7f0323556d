import type { Context } from 'hono';
import type { z } from 'zod';
import type { Issue } from '../events/index.js';
import { fromZodIssues, requiredFieldMessages } from '../events/issues.js';
import { badRequest, ProblemError, problemResponse } from './problem.js';

/** Parses `value` with `schema`; issues name each bad field ("required" for a missing one). */
export function check<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = '',
): { ok: true; data: z.output<S> } | { ok: false; issues: Issue[] } {
  const result = schema.safeParse(value, { error: requiredFieldMessages });
  return result.success
    ? { ok: true, data: result.data }
    : { ok: false, issues: fromZodIssues(result.error.issues, prefix) };
}

/**
 * Parses `value` with `schema`, or throws a 400 problem naming every bad field.
 *
 * @example
 * const { id } = parseOr400(IdParamSchema, c.req.param(), 'bad path');
 */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  detail: string,
  prefix = '',
): z.output<S> {
  const result = check(schema, value, prefix);
  if (result.ok) return result.data;
  throw new ProblemError(badRequest(detail, result.issues));
}

const JSON_MEDIA = /^application\/(?:[\w.-]+\+)?json$/i;

/** Reads a JSON body (415 for another content type, 400 when it is not JSON) and parses it. */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  detail: string,
  text?: string,
): Promise<z.output<S>> {
  const media = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (media !== '' && !JSON_MEDIA.test(media)) {
    throw new ProblemError(
      problemResponse(
        415,
        'unsupportedMediaType',
        'Unsupported Media Type',
        `send application/json, not ${media}`,
        [{ path: 'content-type', message: 'must be application/json' }],
      ),
    );
  }
  const raw = text ?? (await c.req.text());
  let value: unknown;
  try {
    value = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new ProblemError(badRequest(detail, [{ path: 'body', message: 'body is not valid JSON' }]));
  }
  return parseOr400(schema, value, detail);
}
