/**
 * The HTTP part: one Hono app over a waooaw app, served by `functions/node.ts` and
 * `functions/worker.ts` alike.
 */

export { TRANSPORT_GAVE_UP } from '../bridge/index.js';
export { createHttpApp, DEFAULT_BODY_LIMIT_BYTES } from './app.js';
export { tokenMatches } from './auth.js';
export type { HttpAppOptions, HttpEnv, SignedRequest, WebhookSecretResolver } from './context.js';
export { NON_RETRYABLE_HEADER, NON_RETRYABLE_STATUS } from './invoke.js';
export { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type Problem } from './problem.js';
