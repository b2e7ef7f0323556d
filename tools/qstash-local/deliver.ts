import type { AttemptResponse, StoredMessage } from './message.js';
import { signDelivery } from './signer.js';

/** The result of one HTTP attempt: a response, or why none came. */
export type Attempt =
  | { ok: boolean; response: AttemptResponse; headers: Headers }
  | { ok: false; response?: undefined; error: string; aborted: boolean };

/**
 * Send a message to its destination once, the way QStash does: its method and body, forwarded
 * headers, `Upstash-Message-Id`, `Upstash-Retried` and a fresh `Upstash-Signature`.
 */
export async function attemptDelivery(
  message: StoredMessage,
  { signingKey, timeoutMs, signal }: { signingKey: string; timeoutMs: number; signal: AbortSignal },
): Promise<Attempt> {
  const body = Buffer.from(message.bodyBase64, 'base64');
  const headers = new Headers(message.headers);
  headers.set('user-agent', 'Upstash-QStash');
  headers.set('upstash-message-id', message.messageId);
  headers.set('upstash-retried', String(message.retried));
  headers.set('upstash-signature', signDelivery(signingKey, message.url, body));
  const hasBody = message.method !== 'GET' && message.method !== 'HEAD';
  // One controller aborted by the timer or by `signal`. Not AbortSignal.any([signal,
  // AbortSignal.timeout()]): Node holds the timeout signal weakly there, and once it is collected
  // the attempt never times out.
  const attempt = new AbortController();
  const timer = setTimeout(
    () =>
      attempt.abort(
        new DOMException(`timeout: no answer within ${timeoutMs} ms (Upstash-Timeout)`, 'TimeoutError'),
      ),
    timeoutMs,
  );
  const onAbort = () => attempt.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(message.url, {
      method: message.method,
      headers,
      ...(hasBody && { body }),
      signal: attempt.signal,
    });
    const responseBody = Buffer.from(await res.arrayBuffer());
    const header: Record<string, string[]> = {};
    res.headers.forEach((value, name) => {
      header[name] = [...(header[name] ?? []), value];
    });
    return {
      ok: res.status >= 200 && res.status < 300,
      response: { status: res.status, header, bodyBase64: responseBody.toString('base64') },
      headers: res.headers,
    };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const text = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: cause instanceof Error ? `${text}: ${cause.message}` : text,
      aborted: signal.aborted,
    };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
