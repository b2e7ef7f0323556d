import type { PublishBatchRequest } from '@upstash/qstash';
import type { Envelope, Invocation } from '../types.js';

/** How every message of one transport is published. */
export interface MessageSettings {
  /** Where QStash delivers invocations: `${publicUrl}/invoke`. */
  invokeUrl: string;
  /** Called once QStash gives up on a message: `${publicUrl}/callbacks/failure`. */
  failureCallbackUrl: string;
  /** QStash redeliveries after a crash-like failure (non-2xx answer, timeout, lost isolate). */
  retries: number;
  /** QStash retry-delay expression in ms (`retried` is 0 on the first retry); QStash's backoff when unset. */
  retryDelay?: string;
  /** Per-attempt HTTP timeout (`'30s'`, or seconds); the plan's maximum when unset. */
  timeout?: string | number;
}

/**
 * Makes an id or key safe as a header value and still one-to-one: every character outside
 * `[A-Za-z0-9-_.:~]` (including `%`) is percent-encoded, so two different keys never collide.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^A-Za-z0-9\-_.:~]/gu, (ch) => encodeURIComponent(ch));
}

/** Whole seconds, rounded up: QStash delays are in seconds, and a task must never run early. */
export function delaySeconds(delayMs: number | undefined): number | undefined {
  if (delayMs === undefined || delayMs <= 0) return undefined;
  return Math.ceil(delayMs / 1000);
}

function traceHeaders(invocation: Invocation): Record<string, string> | undefined {
  if (!invocation.traceparent) return undefined;
  return {
    traceparent: invocation.traceparent,
    ...(invocation.tracestate ? { tracestate: invocation.tracestate } : {}),
  };
}

/**
 * One envelope as a QStash publish request. QStash has no priorities: `priority` is not sent
 * (see docs/edge.md); the dedup id, delay and flow key are.
 */
export function toPublishRequest(
  { invocation, options = {} }: Envelope,
  settings: MessageSettings,
): PublishBatchRequest<Invocation> {
  const delay = delaySeconds(options.delayMs);
  const headers = traceHeaders(invocation);
  return {
    url: settings.invokeUrl,
    body: invocation,
    retries: settings.retries,
    failureCallback: settings.failureCallbackUrl,
    label: `waooaw-${invocation.kind}`,
    ...(options.dedupId ? { deduplicationId: headerSafe(options.dedupId) } : {}),
    ...(delay ? { delay } : {}),
    ...(options.flowKey
      ? {
          flowControl: {
            key: headerSafe(options.flowKey),
            parallelism: Math.max(1, Math.floor(options.flowLimit ?? 1)),
          },
        }
      : {}),
    ...(headers ? { headers } : {}),
    ...(settings.retryDelay ? { retryDelay: settings.retryDelay } : {}),
    ...(settings.timeout !== undefined ? { timeout: settings.timeout as number } : {}),
  };
}
