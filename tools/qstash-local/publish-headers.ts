import { createHash } from 'node:crypto';
import { BadRequestError, requireDuration } from './durations.js';
import type { CallbackConfig, MessageDraft } from './message.js';
import { compileRetryDelay } from './retry-delay.js';

export interface ParsedPublish {
  draft: MessageDraft;
  /** Explicit or content-based deduplication id, if the publisher asked for one. */
  dedupId?: string;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/**
 * Read a publish request the way QStash does: `Upstash-*` headers configure the message,
 * `Upstash-Forward-<H>` headers are delivered as `<H>`, Content-Type passes through.
 * @throws BadRequestError for a bad destination or a malformed header.
 */
export function parsePublish(
  destination: string,
  headers: Headers,
  body: Uint8Array,
  { defaultRetries, nowMs }: { defaultRetries: number; nowMs: number },
): ParsedPublish {
  const url = checkUrl(destination, 'destination');
  const options = deliveryOptions(headers, 'upstash-');
  const contentType = headers.get('content-type');
  const delivered = { ...options.headers, ...(contentType !== null && { 'content-type': contentType }) };
  const draft: MessageDraft = {
    url,
    method: options.method,
    headers: delivered,
    bodyBase64: Buffer.from(body).toString('base64'),
    maxRetries: options.retries ?? defaultRetries,
    ...(options.retryDelay !== undefined && { retryDelay: options.retryDelay }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...callbackConfig(headers, 'upstash-callback', 'callback'),
    ...callbackConfig(headers, 'upstash-failure-callback', 'failureCallback'),
    ...flowControl(headers),
    ...(headers.get('upstash-label') && { label: headers.get('upstash-label') as string }),
    notBefore: options.notBeforeMs ?? nowMs + (options.delayMs ?? 0),
  };
  const explicit = headers.get('upstash-deduplication-id');
  const contentBased = headers.get('upstash-content-based-deduplication') === 'true';
  const dedupId = explicit ?? (contentBased ? contentHash(url, body, delivered) : undefined);
  return { draft, ...(dedupId !== undefined && { dedupId }) };
}

/**
 * The options shared by a message and its callbacks, read under one prefix
 * (`upstash-`, `upstash-callback-` or `upstash-failure-callback-`).
 */
function deliveryOptions(headers: Headers, prefix: string) {
  const get = (name: string) => headers.get(prefix + name) ?? undefined;
  const method = (get('method') ?? 'POST').toUpperCase();
  if (!METHODS.has(method)) throw new BadRequestError(`invalid ${prefix}method: ${method}`);
  const retries = optionalInt(get('retries'), `${prefix}retries`);
  const retryDelay = get('retry-delay');
  if (retryDelay !== undefined) compileRetryDelay(retryDelay);
  const delay = get('delay');
  const timeout = get('timeout');
  const notBefore = optionalInt(get('not-before'), `${prefix}not-before`);
  const forwardPrefix = `${prefix}forward-`;
  const forwarded: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name.startsWith(forwardPrefix)) forwarded[name.slice(forwardPrefix.length)] = value;
  });
  return {
    method,
    retries,
    retryDelay,
    delayMs: delay === undefined ? undefined : requireDuration(`${prefix}delay`, delay),
    timeoutMs: timeout === undefined ? undefined : requireDuration(`${prefix}timeout`, timeout),
    notBeforeMs: notBefore === undefined ? undefined : notBefore * 1000,
    headers: forwarded,
  };
}

function callbackConfig(
  headers: Headers,
  name: string,
  field: 'callback' | 'failureCallback',
): Partial<Record<typeof field, CallbackConfig>> {
  const url = headers.get(name);
  if (url === null) return {};
  const options = deliveryOptions(headers, `${name}-`);
  const config: CallbackConfig = {
    url: checkUrl(url, name),
    method: options.method,
    headers: options.headers,
    ...(options.retries !== undefined && { retries: options.retries }),
    ...(options.retryDelay !== undefined && { retryDelay: options.retryDelay }),
    ...(options.delayMs !== undefined && { delayMs: options.delayMs }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  };
  return { [field]: config };
}

/** `Upstash-Flow-Control-Value: parallelism=2, rate=10, period=1s`; only parallelism is enforced. */
function flowControl(
  headers: Headers,
): Pick<MessageDraft, 'flowControlKey' | 'parallelism' | 'rate' | 'period'> {
  const key = headers.get('upstash-flow-control-key');
  if (key === null) return {};
  const values = new Map(
    (headers.get('upstash-flow-control-value') ?? '')
      .split(',')
      .map((part) => part.split('=').map((s) => s.trim()) as [string, string | undefined])
      .filter(([name]) => name !== ''),
  );
  const parallelism = optionalInt(values.get('parallelism'), 'parallelism');
  const rate = optionalInt(values.get('rate'), 'rate');
  const period = values.get('period');
  return {
    flowControlKey: key,
    ...(parallelism !== undefined && { parallelism }),
    ...(rate !== undefined && { rate }),
    ...(period !== undefined && { period }),
  };
}

function optionalInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new BadRequestError(`invalid ${name}: ${JSON.stringify(text)}`);
  return Number(text);
}

function checkUrl(text: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new BadRequestError(
      `invalid ${what} ${JSON.stringify(text)}: qstash-local delivers to http(s) URLs only (no URL groups or APIs)`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new BadRequestError(`invalid ${what} ${JSON.stringify(text)}: only http and https are supported`);
  }
  return text;
}

/** Content-based dedup id: destination, body, Content-Type and forwarded headers. */
function contentHash(url: string, body: Uint8Array, headers: Record<string, string>): string {
  const hash = createHash('sha256').update(url).update('\n').update(body).update('\n');
  for (const name of Object.keys(headers).sort()) hash.update(`${name}:${headers[name]}\n`);
  return `content:${hash.digest('hex')}`;
}
