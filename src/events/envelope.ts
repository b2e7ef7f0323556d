import { z } from 'zod';
import {
  EVENT_TYPE_PATTERN,
  EXTENSION_NAME_PATTERN,
  isAbsoluteUri,
  isMediaType,
  isRfc3339,
  isTraceparent,
  isUriReference,
} from './attribute-formats.js';
import { fromZodIssues, type Issue, type ParseResult, requiredFieldMessages } from './issues.js';

/**
 * A CloudEvents 1.0 event in its JSON form, as the bus logs and delivers it.
 * Extension attributes sit at the top level next to the core ones.
 */
export interface CloudEvent<TData = unknown> {
  specversion: '1.0';
  id: string;
  /** URI-reference naming the context the event happened in (`/orders`, `https://github.com/x`). */
  source: string;
  /** Dotted type: `orchestration.task.trigger`, `webhook.github.push`. */
  type: string;
  /** RFC 3339. */
  time?: string;
  subject?: string;
  /** Always set once parsed: `application/json` unless the producer said otherwise. */
  datacontenttype: string;
  dataschema?: string;
  data?: TData;
  /** Binary data, base64-encoded; never together with `data`. */
  data_base64?: string;
  /** W3C Trace Context. */
  traceparent?: string;
  tracestate?: string;
  /** Ties every event of one flow to the event that started it. */
  correlationid?: string;
  /** The id of the event that directly caused this one. */
  causationid?: string;
  [extension: string]: unknown;
}

export const DEFAULT_DATA_CONTENT_TYPE = 'application/json';

const extensionValue = z.union([z.string(), z.number().int(), z.boolean()], {
  error: 'extension values must be a string, an integer or a boolean',
});

/** The zod schema of the envelope (data itself is checked by the schema registry). */
export const cloudEventSchema = z
  .object({
    specversion: z.literal('1.0', {
      error: (issue) => (issue.input === undefined ? 'required' : 'must be "1.0" (CloudEvents 1.0)'),
    }),
    id: z.string().min(1, 'must not be empty'),
    source: z.string().refine(isUriReference, 'must be a non-empty URI-reference'),
    type: z
      .string()
      .regex(
        EVENT_TYPE_PATTERN,
        'must be dotted segments of letters, digits, _ or - (like webhook.github.push)',
      ),
    time: z.string().refine(isRfc3339, 'must be an RFC 3339 timestamp').optional(),
    subject: z.string().min(1, 'must not be empty').optional(),
    datacontenttype: z
      .string()
      .refine(isMediaType, 'must be a media type (like application/json)')
      .optional(),
    dataschema: z.string().refine(isAbsoluteUri, 'must be an absolute URI').optional(),
    data: z.json({ error: 'must be JSON' }).optional(),
    data_base64: z.base64('must be base64').optional(),
    traceparent: z
      .string()
      .refine(isTraceparent, 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')
      .optional(),
    tracestate: z.string().optional(),
    correlationid: z.string().min(1, 'must not be empty').optional(),
    causationid: z.string().min(1, 'must not be empty').optional(),
  })
  .catchall(extensionValue);

const KNOWN_ATTRIBUTES = new Set(Object.keys(cloudEventSchema.shape));

/** How deep event data may nest (objects and arrays). */
export const MAX_DATA_DEPTH = 100;

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

export type EnvelopeResult = { ok: true; event: CloudEvent } | { ok: false; issues: Issue[] };

/**
 * Checks one event given as a plain object (structured mode, or attributes read from headers).
 * Issue paths are attribute names; `prefix` puts them under a batch index.
 */
export function validateEnvelope(input: unknown, prefix = ''): EnvelopeResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: prefix, message: 'expected a JSON object (a CloudEvent)' }] };
  }
  // The JSON format treats a null attribute as absent; `data: null` is JSON data, kept.
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value !== null || name === 'data') attributes[name] = value;
  }
  const issues: Issue[] = [];
  for (const name of Object.keys(attributes)) {
    if (!KNOWN_ATTRIBUTES.has(name) && !EXTENSION_NAME_PATTERN.test(name)) {
      issues.push({
        path: prefix === '' ? name : `${prefix}.${name}`,
        message: 'unknown attribute: extension names are lowercase letters and digits, at most 20 characters',
      });
    }
  }
  if (nestsDeeperThan(attributes.data, MAX_DATA_DEPTH)) {
    // Checked before the schema walks it: Redis decodes stored events (DLQ entries) with a limit
    // of 1000 levels, and recursion that deep is a stack overflow waiting to happen.
    return {
      ok: false,
      issues: [
        ...issues,
        {
          path: prefix === '' ? 'data' : `${prefix}.data`,
          message: `must not nest more than ${MAX_DATA_DEPTH} levels deep`,
        },
      ],
    };
  }
  if (attributes.data !== undefined && attributes.data_base64 !== undefined) {
    issues.push({
      path: prefix === '' ? 'data_base64' : `${prefix}.data_base64`,
      message: 'data and data_base64 are mutually exclusive',
    });
  }
  const parsed = cloudEventSchema.safeParse(attributes, { error: requiredFieldMessages });
  if (!parsed.success) issues.push(...fromZodIssues(parsed.error.issues, prefix));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };

  const event = parsed.data as CloudEvent;
  if (event.datacontenttype === undefined) {
    event.datacontenttype =
      event.data_base64 === undefined ? DEFAULT_DATA_CONTENT_TYPE : 'application/octet-stream';
  }
  return { ok: true, event };
}

/**
 * Reads one event in structured mode (`application/cloudevents+json`), already JSON-parsed.
 * Never throws: bad input comes back as issues naming the attribute.
 *
 * @example
 * const result = parseStructured(await request.json());
 * if (!result.ok) return problem(400, result.issues);
 */
export function parseStructured(body: unknown): ParseResult<CloudEvent> {
  const result = validateEnvelope(body);
  return result.ok ? { ok: true, events: [result.event] } : result;
}
