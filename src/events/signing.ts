/**
 * HMAC-SHA256 signatures for HTTP deliveries (outbound) and webhooks (inbound), on Web Crypto so the
 * same code runs on Node and in Workers.
 *
 * Deliveries carry `waooaw-signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">`; the timestamp
 * is signed too, so a captured request cannot be replayed after the tolerance window.
 */
export const SIGNATURE_HEADER = 'waooaw-signature';

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function importKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

/** Hex HMAC-SHA256 of `payload` under `secret`. */
export async function hmacSha256Hex(secret: string, payload: string | Uint8Array): Promise<string> {
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await importKey(secret), data as BufferSource));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Compares two strings in time that does not depend on where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** `<t>.` followed by the body: what the signature covers, byte for byte. */
function signedPayload(t: number, body: string | Uint8Array): string | Uint8Array {
  if (typeof body === 'string') return `${t}.${body}`;
  const prefix = encoder.encode(`${t}.`);
  const payload = new Uint8Array(prefix.length + body.length);
  payload.set(prefix);
  payload.set(body, prefix.length);
  return payload;
}

/** The `waooaw-signature` header value for `body` (text, or raw bytes) sent at `nowMs`. */
export async function signDelivery(
  secret: string,
  body: string | Uint8Array,
  nowMs: number,
): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${await hmacSha256Hex(secret, signedPayload(t, body))}`;
}

/**
 * Checks a `waooaw-signature` header over `body` (text, or the raw bytes received): the HMAC must match and the timestamp must be within
 * `toleranceSec` of `nowMs`. Receivers can copy this function as it is.
 */
export async function verifyDelivery(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  { nowMs = Date.now(), toleranceSec = 300 }: { nowMs?: number; toleranceSec?: number } = {},
): Promise<boolean> {
  if (!header) return false;
  const parts = Object.fromEntries(
    header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return false;
  if (Math.abs(nowMs / 1000 - t) > toleranceSec) return false;
  return timingSafeEqual(parts.v1, await hmacSha256Hex(secret, signedPayload(t, body)));
}
