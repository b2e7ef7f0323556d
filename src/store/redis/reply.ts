import { StoreError } from '../errors.js';

/**
 * Script replies are JSON text; REST clients may hand them over already parsed.
 * Either way this returns the parsed value.
 */
export function decodeReply<T>(reply: unknown, command: string): T {
  if (typeof reply !== 'string') return reply as T;
  try {
    return JSON.parse(reply) as T;
  } catch (cause) {
    throw new StoreError('bad_reply', `${command}: reply is not JSON`, { command }, { cause });
  }
}

/** A number from a plain-command reply (string, number or null). */
export function toCount(reply: unknown): number {
  const n = Number(reply ?? 0);
  return Number.isFinite(n) ? n : 0;
}
