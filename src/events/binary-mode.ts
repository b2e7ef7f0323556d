import { isJsonMediaType, mediaTypeOf } from './attribute-formats.js';
import { type CloudEvent, validateEnvelope } from './envelope.js';
import type { Issue, ParseResult } from './issues.js';

export type HeaderInput = Headers | Record<string, string | string[] | undefined>;

const CE_PREFIX = 'ce-';

/** Lowercased header names; repeated values joined with `, ` as `Headers` does. */
export function normalizeHeaders(headers: HeaderInput): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    headers.forEach((value, name) => {
      out.set(name.toLowerCase(), value);
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}

/** True when the headers carry a binary-mode event (any `ce-specversion` / `ce-id` header). */
export function hasBinaryHeaders(headers: HeaderInput): boolean {
  const names = normalizeHeaders(headers);
  return names.has('ce-specversion') || names.has('ce-id');
}

// Where an attribute came from in binary mode, so issues name the header the client sent.
function headerNameOf(attribute: string): string {
  if (attribute === 'datacontenttype') return 'content-type';
  if (attribute === 'data' || attribute === 'data_base64') return 'body';
  return CE_PREFIX + attribute;
}

function toHeaderPath(path: string): string {
  const [head, ...rest] = path.split('.');
  return [headerNameOf(head ?? ''), ...rest].join('.');
}

// Text-like media types whose bytes are carried as a string; other bytes travel as data_base64.
function isTextMediaType(media: string): boolean {
  return (
    media.startsWith('text/') ||
    media.endsWith('+xml') ||
    media === 'application/xml' ||
    media === 'application/x-www-form-urlencoded'
  );
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

type BodyResult = { ok: true; attributes: Record<string, unknown> } | { ok: false; issue: Issue };

function readBody(contentType: string | undefined, body: string | Uint8Array): BodyResult {
  const empty = typeof body === 'string' ? body === '' : body.length === 0;
  if (empty) return { ok: true, attributes: {} };
  // Without a content type the data is taken as JSON, the CloudEvents default.
  if (contentType === undefined || isJsonMediaType(contentType)) {
    let text: string;
    try {
      text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return { ok: false, issue: { path: 'body', message: 'body is not valid UTF-8' } };
    }
    try {
      return { ok: true, attributes: { data: JSON.parse(text) } };
    } catch {
      return {
        ok: false,
        issue: { path: 'body', message: 'body is not valid JSON (content-type says JSON)' },
      };
    }
  }
  if (typeof body === 'string') return { ok: true, attributes: { data: body } };
  if (isTextMediaType(mediaTypeOf(contentType))) {
    try {
      return { ok: true, attributes: { data: new TextDecoder('utf-8', { fatal: true }).decode(body) } };
    } catch {
      return { ok: false, issue: { path: 'body', message: 'body is not valid UTF-8' } };
    }
  }
  return { ok: true, attributes: { data_base64: toBase64(body) } };
}

/**
 * Reads one event in HTTP binary mode: attributes in `ce-*` headers (percent-decoded, per the HTTP
 * binding), `content-type` as `datacontenttype`, the body as data. A JSON body is parsed; text
 * stays a string; other bytes become `data_base64`. Issues name the header (`ce-type`) or `body`.
 * Never throws.
 *
 * @example
 * parseBinary({ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 'a.b',
 *   'content-type': 'application/json' }, '{"x":1}')
 */
export function parseBinary(headers: HeaderInput, body: string | Uint8Array): ParseResult<CloudEvent> {
  const attributes: Record<string, unknown> = {};
  const issues: Issue[] = [];
  const all = normalizeHeaders(headers);
  for (const [name, raw] of all) {
    if (!name.startsWith(CE_PREFIX)) continue;
    const attribute = name.slice(CE_PREFIX.length);
    if (attribute === 'data' || attribute === 'data_base64' || attribute === 'datacontenttype') {
      issues.push({ path: name, message: 'not allowed in binary mode: use the body and content-type' });
      continue;
    }
    try {
      attributes[attribute] = decodeURIComponent(raw);
    } catch {
      issues.push({ path: name, message: 'malformed percent-encoding' });
    }
  }
  const contentType = all.get('content-type');
  if (contentType !== undefined) attributes.datacontenttype = contentType;

  const data = readBody(contentType, body);
  if (data.ok) Object.assign(attributes, data.attributes);
  else issues.push(data.issue);

  const result = validateEnvelope(attributes);
  if (!result.ok) {
    issues.push(
      ...result.issues.map((issue) => ({ path: toHeaderPath(issue.path), message: issue.message })),
    );
  }
  if (issues.length > 0 || !result.ok) return { ok: false, issues };
  return { ok: true, events: [result.event] };
}
