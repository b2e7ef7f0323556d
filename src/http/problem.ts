import type { Issue } from '../events/index.js';

/** RFC 9457 problem details, with the field-level issues that made the request bad. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  issues?: Issue[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable problem types: clients branch on these, never on `title` or `detail`. */
export const PROBLEM_TYPES = {
  invalidRequest: 'urn:waooaw:problem:invalid-request',
  invalidEvent: 'urn:waooaw:problem:invalid-event',
  unauthorized: 'urn:waooaw:problem:unauthorized',
  notConfigured: 'urn:waooaw:problem:not-configured',
  notFound: 'urn:waooaw:problem:not-found',
  conflict: 'urn:waooaw:problem:conflict',
  payloadTooLarge: 'urn:waooaw:problem:payload-too-large',
  unsupportedMediaType: 'urn:waooaw:problem:unsupported-media-type',
  invocationFailed: 'urn:waooaw:problem:invocation-failed',
  notReady: 'urn:waooaw:problem:not-ready',
  internal: 'urn:waooaw:problem:internal',
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

/**
 * A problem+json response.
 *
 * @example
 * return problemResponse(404, 'notFound', 'run not found', `no run '${id}'`);
 */
export function problemResponse(
  status: number,
  type: ProblemType,
  title: string,
  detail?: string,
  issues?: Issue[],
  headers: Record<string, string> = {},
): Response {
  const body: Problem = {
    type: PROBLEM_TYPES[type],
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(issues === undefined ? {} : { issues }),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

/** 400 with the issues that name each bad field. */
export function badRequest(detail: string, issues: Issue[], type: ProblemType = 'invalidRequest'): Response {
  return problemResponse(400, type, 'Bad Request', detail, issues);
}

export function notFound(detail: string): Response {
  return problemResponse(404, 'notFound', 'Not Found', detail);
}

/**
 * Thrown from a handler or middleware to answer with a problem; the app's error handler turns it
 * into the response (so helpers deep in a handler can refuse a request in one line).
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(readonly response: Response) {
    super(`HTTP ${response.status}`);
  }
}
