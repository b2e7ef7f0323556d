import { isJsonMediaType, mediaTypeOf } from './attribute-formats.js';
import { parseBatch } from './batch.js';
import { type HeaderInput, hasBinaryHeaders, parseBinary } from './binary-mode.js';
import { type CloudEvent, parseStructured } from './envelope.js';
import type { ParseResult } from './issues.js';

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

type JsonResult = { ok: true; value: unknown } | { ok: false };

function parseJson(rawBody: string | Uint8Array): JsonResult {
  try {
    const text =
      typeof rawBody === 'string' ? rawBody : new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const notJson: ParseResult<CloudEvent> = {
  ok: false,
  issues: [{ path: 'body', message: 'body is not valid JSON' }],
};

/**
 * Reads the events of one HTTP request, whatever mode the client chose:
 * - `application/cloudevents-batch+json`: a batch;
 * - `application/cloudevents+json`: one structured event;
 * - `ce-*` headers present: binary mode (any content type);
 * - plain `application/json` (or no content type): an object is a structured event, an array a batch.
 *
 * Never throws; issues name the field (`[2].type`, `id`, `ce-type`, `body`, `content-type`).
 *
 * @example
 * const result = parseHttpEvents(req.header('content-type'), req.raw.headers, await req.text());
 */
export function parseHttpEvents(
  contentType: string | null | undefined,
  headers: HeaderInput,
  rawBody: string | Uint8Array,
): ParseResult<CloudEvent> {
  const media = mediaTypeOf(contentType);
  if (media === BATCH_CONTENT_TYPE) {
    const json = parseJson(rawBody);
    return json.ok ? parseBatch(json.value) : notJson;
  }
  if (media === STRUCTURED_CONTENT_TYPE) {
    const json = parseJson(rawBody);
    return json.ok ? parseStructured(json.value) : notJson;
  }
  if (media.startsWith('application/cloudevents')) {
    return {
      ok: false,
      issues: [{ path: 'content-type', message: `unsupported CloudEvents format: ${media} (JSON only)` }],
    };
  }
  if (hasBinaryHeaders(headers)) return parseBinary(headers, rawBody);
  if (media === '' || isJsonMediaType(media)) {
    const json = parseJson(rawBody);
    if (!json.ok) return notJson;
    return Array.isArray(json.value) ? parseBatch(json.value) : parseStructured(json.value);
  }
  return {
    ok: false,
    issues: [
      {
        path: 'content-type',
        message: `unsupported content type ${media}: send ${STRUCTURED_CONTENT_TYPE}, ${BATCH_CONTENT_TYPE}, application/json or binary-mode ce-* headers`,
      },
    ],
  };
}
