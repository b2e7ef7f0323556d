import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SIGNATURE_LIFETIME_S } from './constants.js';

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * The `Upstash-Signature` JWT QStash puts on every delivery: HS256, keyed with the UTF-8 bytes
 * of the signing-key string, `iss` "Upstash", `sub` the destination URL, a 5-minute lifetime and
 * `body` = base64url(sha256(raw body)) with `=` padding, as the QStash docs show it.
 *
 * @example
 * const jwt = signDelivery('sig_current', 'http://127.0.0.1:3000/invoke', Buffer.from('{}'));
 * await new Receiver({ currentSigningKey: 'sig_current', nextSigningKey: 'sig_next' })
 *   .verify({ signature: jwt, body: '{}', url: 'http://127.0.0.1:3000/invoke' });
 */
export function signDelivery(signingKey: string, url: string, body: Uint8Array, nowMs = Date.now()): string {
  const now = Math.floor(nowMs / 1000);
  const bodyHash = createHash('sha256').update(body).digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      iss: 'Upstash',
      sub: url,
      exp: now + SIGNATURE_LIFETIME_S,
      nbf: now,
      iat: now,
      jti: `jwt_${randomBytes(16).toString('hex')}`,
      body: bodyHash,
    }),
  );
  const signature = createHmac('sha256', Buffer.from(signingKey, 'utf8'))
    .update(`${header}.${payload}`)
    .digest();
  return `${header}.${payload}.${base64url(signature)}`;
}
