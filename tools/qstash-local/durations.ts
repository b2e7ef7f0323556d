import { MAX_RETRY_AFTER_MS } from './constants.js';

/** A malformed `Upstash-*` header; answered with 400. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parse a duration made of `<number><unit>` parts (`10s`, `5m`, `1d1h30m`, `1.5s`, `300ms`).
 * A bare number counts in `bareUnit`. Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string, bareUnit: 's' | 'ms' = 's'): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * (UNIT_MS[bareUnit] ?? 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) return undefined;
  return parts.reduce((total, [, value, unit]) => total + Number(value) * (UNIT_MS[unit ?? 's'] ?? 0), 0);
}

/** Parse a header that must be a duration, or throw a 400-worthy error naming it. */
export function requireDuration(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new BadRequestError(`invalid ${name} header: ${JSON.stringify(text)}`);
  return ms;
}

/**
 * When the destination asked to be retried, from `Retry-After` or the rate-limit reset headers:
 * seconds, an HTTP date, or a Go-style duration (`6m5s`). Values over a day are ignored.
 * @returns the delay in ms, or undefined when no usable header is present.
 */
export function retryAfterMs(headers: Headers, nowMs = Date.now()): number | undefined {
  for (const name of [
    'retry-after',
    'x-ratelimit-reset',
    'x-ratelimit-reset-requests',
    'x-ratelimit-reset-tokens',
  ]) {
    const value = headers.get(name);
    if (value === null) continue;
    const ms = parseDuration(value, 's') ?? dateDelay(value, nowMs);
    if (ms !== undefined && ms <= MAX_RETRY_AFTER_MS) return Math.max(0, ms);
  }
  return undefined;
}

function dateDelay(value: string, nowMs: number): number | undefined {
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at - nowMs;
}
