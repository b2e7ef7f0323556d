import { hmacSha256Hex, timingSafeEqual, verifyDelivery } from '../events/index.js';

export interface WebhookSignatureInput {
  secret: string;
  headers: Headers;
  body: Uint8Array;
  nowMs: number;
  toleranceSec: number;
}

const GITHUB_HEADER = 'x-hub-signature-256';
const GENERIC_HEADERS = ['x-waooaw-signature', 'waooaw-signature'];

/**
 * Checks a webhook's HMAC-SHA256 over the raw body:
 * - GitHub: `x-hub-signature-256: sha256=<hex>`;
 * - generic: `x-waooaw-signature` or `waooaw-signature: t=<unix s>,v1=<hex of "<t>.<body>">`, within
 *   the tolerance (so a captured request cannot be replayed later).
 * Returns why it failed, or undefined when the signature is good.
 */
export async function webhookSignatureProblem(input: WebhookSignatureInput): Promise<string | undefined> {
  const { secret, headers, body } = input;
  const github = headers.get(GITHUB_HEADER);
  if (github !== null) {
    const presented = /^sha256=([0-9a-f]{64})$/i.exec(github.trim())?.[1]?.toLowerCase();
    if (!presented) return `${GITHUB_HEADER} must be sha256=<hex>`;
    const expected = await hmacSha256Hex(secret, body);
    return timingSafeEqual(presented, expected) ? undefined : 'signature does not match';
  }
  const name = GENERIC_HEADERS.find((h) => headers.has(h));
  if (!name) return `missing signature: send ${GITHUB_HEADER} or ${GENERIC_HEADERS.join(' / ')}`;
  const text = new TextDecoder().decode(body);
  const ok = await verifyDelivery(secret, headers.get(name), text, {
    nowMs: input.nowMs,
    toleranceSec: input.toleranceSec,
  });
  return ok ? undefined : 'signature does not match, or its timestamp is outside the tolerance';
}
