import { randomBytes } from 'node:crypto';

/** Where and how a callback or failure callback is sent: itself a new message once it fires. */
export interface CallbackConfig {
  url: string;
  method: string;
  /** Defaults to the source message's retries. */
  retries?: number;
  retryDelay?: string;
  delayMs?: number;
  timeoutMs?: number;
  /** `Upstash-(Failure-)Callback-Forward-*` headers, prefix removed. */
  headers: Record<string, string>;
}

/** A message as qstash-local stores it (JSON in `msg:<id>`). */
export interface StoredMessage {
  messageId: string;
  url: string;
  method: string;
  /** Headers delivered to the destination: forwarded ones with the prefix removed, plus Content-Type. */
  headers: Record<string, string>;
  bodyBase64: string;
  maxRetries: number;
  /** Retries already made; the next attempt carries it as `Upstash-Retried`. */
  retried: number;
  retryDelay?: string;
  timeoutMs?: number;
  callback?: CallbackConfig;
  failureCallback?: CallbackConfig;
  flowControlKey?: string;
  parallelism?: number;
  rate?: number;
  period?: string;
  label?: string;
  /** ms */
  notBefore: number;
  /** ms */
  createdAt: number;
}

/** What the destination answered on the last attempt. */
export interface AttemptResponse {
  status: number;
  header: Record<string, string[]>;
  bodyBase64: string;
}

/** A dead-lettered message: the message plus the last response. */
export interface DlqEntry {
  dlqId: string;
  message: StoredMessage;
  response: AttemptResponse;
  /** ms */
  failedAt: number;
}

/** A message as published, before it gets an id. */
export type MessageDraft = Omit<StoredMessage, 'messageId' | 'createdAt' | 'retried'>;

const ID_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** `msg_` plus 28 random base58 characters, like QStash's ids. */
export function newMessageId(): string {
  const bytes = randomBytes(28);
  return `msg_${[...bytes].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;
}

/** `<ms>-<n>`, the shape of QStash's DLQ ids. */
export function newDlqId(nowMs: number): string {
  return `${nowMs}-${randomBytes(4).readUInt32BE()}`;
}

/** Give a draft its id and timestamps. */
export function createMessage(draft: MessageDraft, nowMs: number): StoredMessage {
  return { ...draft, messageId: newMessageId(), createdAt: nowMs, retried: 0 };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `body` when the bytes are UTF-8, `bodyBase64` otherwise, as QStash's GET endpoints do. */
export function bodyFields(base64: string, field: 'body' | 'responseBody'): Record<string, string> {
  const bytes = Buffer.from(base64, 'base64');
  try {
    return { [field]: utf8.decode(bytes) };
  } catch {
    return { [`${field}Base64`]: base64 };
  }
}

/** The `Message` object of `GET /v2/messages/{id}`. */
export function toApiMessage(m: StoredMessage): Record<string, unknown> {
  return {
    messageId: m.messageId,
    url: m.url,
    method: m.method,
    header: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, [v]])),
    ...bodyFields(m.bodyBase64, 'body'),
    maxRetries: m.maxRetries,
    retried: m.retried,
    ...(m.retryDelay && { retryDelayExpression: m.retryDelay }),
    notBefore: m.notBefore,
    createdAt: m.createdAt,
    ...(m.callback && { callback: m.callback.url }),
    ...(m.failureCallback && { failureCallback: m.failureCallback.url }),
    ...(m.label && { label: m.label, labels: m.label.split(',') }),
    ...(m.flowControlKey && {
      flowControlKey: m.flowControlKey,
      parallelism: m.parallelism,
      rate: m.rate,
      period: m.period,
    }),
  };
}

/** The `DLQMessage` object of `GET /v2/dlq`. */
export function toApiDlqMessage(entry: DlqEntry): Record<string, unknown> {
  return {
    ...toApiMessage(entry.message),
    dlqId: entry.dlqId,
    responseStatus: entry.response.status,
    responseHeader: entry.response.header,
    ...bodyFields(entry.response.bodyBase64, 'responseBody'),
  };
}
