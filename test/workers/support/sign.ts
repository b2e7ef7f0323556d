import { createHash, createHmac, randomUUID } from 'node:crypto';

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A QStash-style `Upstash-Signature` (HS256 JWT over the URL and the body hash), with any key. */
export function qstashSignature(key: string, url: string, body: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      iss: 'Upstash',
      sub: url,
      iat: now,
      nbf: now,
      exp: now + 300,
      jti: `jwt_${randomUUID()}`,
      body: createHash('sha256').update(body).digest('base64url'),
    }),
  );
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}
