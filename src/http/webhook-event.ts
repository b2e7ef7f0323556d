import type { Issue } from '../events/index.js';
import { type CloudEvent, createEvent, isJsonMediaType } from '../events/index.js';

const MAX_TYPE_LENGTH = 200;

/** A source name is one event-type segment: `github`, `stripe`, `my-crm`. */
export const WEBHOOK_SOURCE = /^[A-Za-z0-9_-]{1,64}$/;

/** Turns a provider's event name (`pull_request`, `invoice.paid`, `Order Created`) into type segments. */
export function eventSegments(name: string): string {
  return name
    .split('.')
    .map((segment) => segment.trim().replace(/[^A-Za-z0-9_-]+/g, '_'))
    .filter((segment) => segment !== '' && segment !== '_')
    .join('.');
}

type Body = { ok: true; data: unknown; contentType: string } | { ok: false; issue: Issue };

/** Reads the payload: JSON (also GitHub's form-encoded `payload=`), else text. */
function readPayload(contentType: string, body: Uint8Array): Body {
  const text = new TextDecoder().decode(body);
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  if (media === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return { ok: true, data: text, contentType: 'text/plain' };
    try {
      return { ok: true, data: JSON.parse(payload), contentType: 'application/json' };
    } catch {
      return { ok: false, issue: { path: 'body.payload', message: 'payload is not valid JSON' } };
    }
  }
  if (media === '' || isJsonMediaType(media)) {
    if (text.trim() === '') return { ok: true, data: null, contentType: 'application/json' };
    try {
      return { ok: true, data: JSON.parse(text), contentType: 'application/json' };
    } catch {
      return { ok: false, issue: { path: 'body', message: 'body is not valid JSON' } };
    }
  }
  return { ok: true, data: text, contentType: media };
}

function nameFrom(headers: Headers, data: unknown): string {
  const header = headers.get('x-github-event');
  if (header) return header;
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    const record = data as Record<string, unknown>;
    for (const field of ['type', 'event']) {
      if (typeof record[field] === 'string' && record[field] !== '') return record[field];
    }
  }
  return 'received';
}

/**
 * Wraps a verified webhook into `webhook.<source>.<event>`. The provider's delivery id
 * (`x-github-delivery`, `webhook-id`) becomes the event id, so a redelivery keeps its id.
 */
export function webhookEvent(
  source: string,
  headers: Headers,
  body: Uint8Array,
  clock: () => number,
): { ok: true; event: CloudEvent } | { ok: false; issues: Issue[] } {
  const payload = readPayload(headers.get('content-type') ?? '', body);
  if (!payload.ok) return { ok: false, issues: [payload.issue] };
  const name = eventSegments(nameFrom(headers, payload.data)) || 'received';
  const type = `webhook.${source}.${name}`.slice(0, MAX_TYPE_LENGTH).replace(/\.+$/, '');
  const deliveryId = headers.get('x-github-delivery') ?? headers.get('webhook-id') ?? undefined;
  const event = createEvent(
    {
      type,
      source: `/webhooks/${source}`,
      data: payload.data,
      datacontenttype: payload.contentType,
      ...(deliveryId?.trim() ? { id: deliveryId.trim() } : {}),
    },
    { clock },
  );
  return { ok: true, event };
}
