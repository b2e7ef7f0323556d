import { type AttemptResponse, type CallbackConfig, createMessage, type StoredMessage } from './message.js';

/**
 * The JSON QStash POSTs to `Upstash-Callback` after each attempt and to `Upstash-Failure-Callback`
 * once retries are spent (then with `dlqId`). Bodies travel base64-encoded.
 */
export function callbackBody(source: StoredMessage, response: AttemptResponse, dlqId?: string): string {
  return JSON.stringify({
    status: response.status,
    header: response.header,
    body: response.bodyBase64,
    retried: source.retried,
    maxRetries: source.maxRetries,
    ...(dlqId !== undefined && { dlqId }),
    sourceMessageId: source.messageId,
    url: source.url,
    method: source.method,
    sourceHeader: Object.fromEntries(Object.entries(source.headers).map(([k, v]) => [k, [v]])),
    sourceBody: source.bodyBase64,
    notBefore: source.notBefore,
    createdAt: source.createdAt,
    ...(source.label && { label: source.label }),
  });
}

/** A callback is a message of its own: signed, retried (by default as often as its source), never called back. */
export function callbackMessage(
  config: CallbackConfig,
  source: StoredMessage,
  body: string,
  nowMs: number,
): StoredMessage {
  return createMessage(
    {
      url: config.url,
      method: config.method,
      headers: { ...config.headers, 'content-type': 'application/json' },
      bodyBase64: Buffer.from(body).toString('base64'),
      maxRetries: config.retries ?? source.maxRetries,
      ...(config.retryDelay !== undefined && { retryDelay: config.retryDelay }),
      ...(config.timeoutMs !== undefined && { timeoutMs: config.timeoutMs }),
      notBefore: nowMs + (config.delayMs ?? 0),
    },
    nowMs,
  );
}
