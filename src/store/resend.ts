import { StoreError } from './errors.js';

/**
 * Waits between sends of one state change: about 10 s in all, the length of a Redis restart or
 * failover, before the transport's own retry (which sends it anew, with a new token).
 */
export const RESEND_DELAYS_MS: readonly number[] = [50, 200, 500, 1_000, 2_000, 3_000, 3_000];

/**
 * Replies of a server that did not run the command and asks to be tried again: still loading its
 * data after a restart, busy with a script, a replica during a failover, a cluster moving slots.
 */
const NOT_RUN = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|CLUSTERDOWN|NOREPLICAS)\b/;

/**
 * Errors that are answers: the server ran the call (a script error, a refused command; ioredis
 * names them ReplyError, @upstash/redis UpstashError) or the store refused its input. A script
 * that failed may have written part of its change (Redis does not roll scripts back): sending it
 * again would apply that part twice. A server that did not run it at all (NOT_RUN) is no answer.
 */
export function isAnsweredError(error: unknown): boolean {
  if (error instanceof StoreError) return true;
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  if (name !== 'ReplyError' && name !== 'UpstashError') return false;
  return !(typeof message === 'string' && NOT_RUN.test(message));
}

/**
 * Sends a token-carrying store call again when it failed without an answer (a dropped connection,
 * a timeout): the change may have been made with only its reply lost, and the store answers a
 * resend with the first call's effects. Sent anew later (a transport retry, a producer's retry) it
 * would carry a new token: a lease it made would answer `busy` until it expired, an event it
 * logged would count as a duplicate and not be delivered.
 */
export async function withResends<T>(
  call: () => Promise<T>,
  delaysMs: readonly number[] = RESEND_DELAYS_MS,
): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (isAnsweredError(error) || i >= delaysMs.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, delaysMs[i]));
    }
  }
}
