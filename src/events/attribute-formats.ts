/**
 * Syntax checks for CloudEvents attribute values, as plain predicates so the envelope schema,
 * the binary-mode reader and the builder share one definition.
 */

/** A dotted event type: `webhook.github.push`. Segments are letters, digits, `_` and `-`. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** CloudEvents 1.0 extension names: lowercase letters and digits, at most 20 characters. */
export const EXTENSION_NAME_PATTERN = /^[a-z0-9]{1,20}$/;

// RFC 3339 `date-time`: seconds required, `T`/`Z` in either case, offset `Z` or `±hh:mm`.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** True for an RFC 3339 timestamp with a real calendar date (`2024-02-30` is refused). */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

// RFC 3986 characters (unreserved, reserved, and `%` for escapes).
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * True for a non-empty RFC 3986 URI-reference: absolute (`https://x/y`, `urn:a:b`) or relative
 * (`/orders`, `my-service`). A colon before the first `/`, `?` or `#` must end a valid scheme.
 */
export function isUriReference(value: string): boolean {
  if (value === '' || !URI_CHARS.test(value) || BAD_PERCENT.test(value)) return false;
  const head = /^[^/?#]*/.exec(value)?.[0] ?? '';
  return !head.includes(':') || SCHEME.test(value);
}

/** True for an absolute URI (a URI-reference with a scheme), as `dataschema` requires. */
export function isAbsoluteUri(value: string): boolean {
  return isUriReference(value) && SCHEME.test(value);
}

// RFC 2046 media type: `type/subtype` followed by optional parameters.
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$/;

export function isMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

/** The bare, lowercased media type: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** JSON media types: `application/json`, `text/json` and any `+json` suffix. */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  const media = mediaTypeOf(contentType);
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json');
}

// W3C Trace Context `traceparent`: version-traceid-parentid-flags, lowercase hex.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * True for a W3C `traceparent`. Version `ff` and all-zero ids are invalid; version `00` has exactly
 * four fields, later versions may append more (the spec asks parsers to accept them).
 */
export function isTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (!m) return false;
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff') return false;
  if (version === '00' && rest !== undefined) return false;
  return !/^0+$/.test(traceId!) && !/^0+$/.test(parentId!);
}
