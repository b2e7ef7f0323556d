import { hmacSha256Hex, timingSafeEqual, verifyDelivery } from '../events/index.js';

export interface WebhookSignatureInput {
  /** The source named in the path: it decides which scheme its signatures must use. */
  source: string;
  secret: string;
  headers: Headers;
  body: Uint8Array;
  nowMs: number;
  toleranceSec: number;
}

const GITHUB_HEADER = 'x-hub-signature-256';
const GENERIC_HEADERS = ['x-waooaw-signature', 'waooaw-signature'];

/**
 * Sources named `github` or `github-<anything>` sign as GitHub does; every other source with the
 * timestamped scheme. One scheme per source: were both accepted, a captured timestamped request
 * could be replayed at any time as a GitHub-style one (its `<t>.<body>` sent as the body).
 */
function usesGithubSignatures(source: string): boolean {
  return source === 'github' || source.startsWith('github-');
}

/**
 * Checks a webhook's HMAC-SHA256 over the raw body, in its source's scheme:
 * - GitHub: `x-hub-signature-256: sha256=<hex>`;
 * - generic: `x-waooaw-signature` or `waooaw-signature: t=<unix s>,v1=<hex of "<t>.<body>">`, within
 *   the tolerance (so a captured request cannot be replayed later).
 * Returns why it failed, or undefined when the signature is good.
 */
export async function webhookSignatureProblem(input: WebhookSignatureInput): Promise<string | undefined> {
  const { secret, headers, body } = input;
  if (usesGithubSignatures(input.source)) {
    const github = headers.get(GITHUB_HEADER);
    if (github === null) return `missing signature: send ${GITHUB_HEADER}`;
    const presented = /^sha256=([0-9a-f]{64})$/i.exec(github.trim())?.[1]?.toLowerCase();
    if (!presented) return `${GITHUB_HEADER} must be sha256=<hex>`;
    const expected = await hmacSha256Hex(secret, body);
    return timingSafeEqual(presented, expected) ? undefined : 'signature does not match';
  }
  const name = GENERIC_HEADERS.find((h) => headers.has(h));
  if (!name) return `missing signature: send ${GENERIC_HEADERS.join(' or ')}`;
  // Over the bytes received: decoded as text first, a body that is not UTF-8 would not match.
  const ok = await verifyDelivery(secret, headers.get(name), body, {
    nowMs: input.nowMs,
    toleranceSec: input.toleranceSec,
  });
  return ok ? undefined : 'signature does not match, or its timestamp is outside the tolerance';
}
