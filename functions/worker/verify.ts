import { Receiver } from '@upstash/qstash';
import type { SignedRequest } from '../../src/http/index.js';

export interface InvocationVerifierOptions {
  currentSigningKey: string;
  nextSigningKey: string;
  /** The public origin QStash was told to deliver to (`PUBLIC_URL`). */
  publicUrl: string;
}

/**
 * Checks QStash's `Upstash-Signature` with the real `Receiver`: the current key, then the next one
 * (key rotation); the signed subject must be the public URL of the route called (`/invoke` or
 * `/callbacks/...`), and the body hash the body as received. Never throws: false is a refusal.
 *
 * The URL is rebuilt from `publicUrl` rather than taken from the request, which may have passed
 * through a proxy or a custom domain on its way here.
 *
 * @example
 * const verifyInvocation = invocationVerifier({ currentSigningKey, nextSigningKey, publicUrl });
 * createHttpApp(app, { token, verifyInvocation });
 */
export function invocationVerifier({
  currentSigningKey,
  nextSigningKey,
  publicUrl,
}: InvocationVerifierOptions): (request: SignedRequest) => Promise<boolean> {
  const receiver = new Receiver({ currentSigningKey, nextSigningKey, devMode: false });
  const origin = publicUrl.replace(/\/+$/, '');
  return async ({ url, body, headers }) => {
    const signature = headers.get('upstash-signature');
    if (!signature) return false;
    const { pathname, search } = new URL(url);
    try {
      return await receiver.verify({ signature, body, url: `${origin}${pathname}${search}` });
    } catch {
      return false;
    }
  };
}
