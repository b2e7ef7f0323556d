import type { CloudEvent } from './envelope.js';
import { SIGNATURE_HEADER, signDelivery } from './signing.js';

export interface HttpTargetOptions {
  /** Signs every delivery (`waooaw-signature`); without it deliveries go unsigned. */
  signingSecret?: string;
  timeoutMs: number;
  fetch: typeof fetch;
  clock: () => number;
}

/** Thrown for an HTTP delivery the receiver refused for good (4xx other than 408/429): no retry. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/**
 * Delivers one event to an HTTP subscriber in CloudEvents structured mode, signed.
 * 2xx is success; 408, 429 and 5xx are retried; other 4xx go straight to the DLQ.
 */
export async function deliverHttp(url: string, event: CloudEvent, options: HttpTargetOptions): Promise<void> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = { 'content-type': 'application/cloudevents+json' };
  if (options.signingSecret)
    headers[SIGNATURE_HEADER] = await signDelivery(options.signingSecret, body, options.clock());
  const response = await options.fetch(url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  // Drain the body so the connection can be reused.
  const text = await response.text().catch(() => '');
  if (response.ok) return;
  const message = `HTTP ${response.status} from ${url}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const retriable = response.status >= 500 || response.status === 408 || response.status === 429;
  throw retriable ? new Error(message) : new PermanentDeliveryError(message);
}
