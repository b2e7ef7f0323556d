import { StoreError } from './errors.js';

/** Waits between sends of one state change: about 1.3 s in all before the transport's own retry. */
const RESEND_DELAYS_MS = [50, 250, 1_000];

/**
 * Errors that are answers: the server ran the call (a script error, a refused command; ioredis
 * names them ReplyError, @upstash/redis UpstashError) or the store refused its input. A script
 * that failed may have written part of its change (Redis does not roll scripts back): sending it
 * again would apply that part twice.
 */
function isAnswer(error: unknown): boolean {
  if (error instanceof StoreError) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'ReplyError' || name === 'UpstashError';
}

/**
 * Sends a token-carrying store call again when it failed without an answer (a dropped connection,
 * a timeout): the change may have been made with only its reply lost, and the store answers a
 * resend with the first call's effects. Sent anew later (a transport retry, a producer's retry) it
 * would carry a new token: a lease it made would answer `busy` until it expired, an event it
 * logged would count as a duplicate and not be delivered.
 */
export async function withResends<T>(call: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (isAnswer(error) || i >= RESEND_DELAYS_MS.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, RESEND_DELAYS_MS[i]));
    }
  }
}
