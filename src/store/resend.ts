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

/** Messages of a call that got no answer: the connection failed, not the command (ioredis, fetch, workerd). */
const NO_ANSWER =
  /connection is closed|stream isn't writeable|econnrefused|econnreset|etimedout|epipe|enotfound|eai_again|socket hang up|fetch failed|network connection lost|timed? ?out|max retries per request/i;
const NO_ANSWER_NAMES = new Set(['MaxRetriesPerRequestError', 'AbortError', 'TimeoutError']);

/**
 * Whether a call failed without an answer: a connection dropped or refused, a timeout, or a server
 * that did not run the command (NOT_RUN). Wrapped errors (a transport names the script that
 * failed) are judged by their cause. Anything else is not: an error the server answered (a script
 * error, a refused command; ioredis names them ReplyError, @upstash/redis UpstashError), a refusal
 * of the store, or a bug. A script that failed may have written part of its change (Redis does not
 * roll scripts back): sending it again would apply that part twice.
 */
export function isNoAnswer(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StoreError) return false;
    const { name, message } = e as { name?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : '';
    if (name === 'ReplyError' || name === 'UpstashError') return NOT_RUN.test(text);
    if (NO_ANSWER_NAMES.has(String(name)) || NO_ANSWER.test(text)) return true;
  }
  return false;
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
      if (!isNoAnswer(error) || i >= delaysMs.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, delaysMs[i]));
    }
  }
}
