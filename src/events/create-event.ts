import { type CloudEvent, DEFAULT_DATA_CONTENT_TYPE, validateEnvelope } from './envelope.js';
import type { Issue } from './issues.js';

/** What a producer supplies; the builder fills the rest. */
export interface CreateEventInput<TData = unknown> {
  type: string;
  source: string;
  data?: TData;
  subject?: string;
  /** Defaults to `crypto.randomUUID()`. */
  id?: string;
  /** RFC 3339 string or a Date; defaults to the clock. */
  time?: string | Date;
  datacontenttype?: string;
  dataschema?: string;
  traceparent?: string;
  tracestate?: string;
  correlationid?: string;
  causationid?: string;
  /** Further extension attributes (lowercase alphanumeric names, at most 20 characters). */
  extensions?: Record<string, string | number | boolean>;
}

export interface CreateEventOptions {
  /** Epoch ms or a Date for `time`; inject a fake clock in tests. */
  clock?: () => number | Date;
  /** Event id generator; defaults to `crypto.randomUUID()` (a Web global, available in Workers). */
  generateId?: () => string;
  /**
   * Check the result with the envelope schema (default). Producers whose attributes are correct by
   * construction (the orchestrator's lifecycle events) skip it: it is most of an event's cost.
   */
  validate?: boolean;
}

/** A producer built an event the envelope refuses: a programming error, so it throws. */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
  constructor(readonly issues: Issue[]) {
    super(`invalid CloudEvent: ${issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; ')}`);
  }
}

/**
 * Builds a valid CloudEvents 1.0 event: fills `specversion`, `id`, `time` and `datacontenttype`,
 * drops undefined attributes, and checks the result with the envelope schema.
 *
 * @throws {InvalidEventError} when an attribute is malformed (bad type, source, traceparent...).
 * @example
 * const event = createEvent({ type: 'orders.created', source: '/shop', data: { id: 7 } });
 */
export function createEvent<TData = unknown>(
  input: CreateEventInput<TData>,
  { clock = Date.now, generateId = () => crypto.randomUUID(), validate = true }: CreateEventOptions = {},
): CloudEvent<TData> {
  // A plain loop, no rest object or entry arrays: the orchestrator builds three events per task.
  const draft: Record<string, unknown> = input.extensions ? { ...input.extensions } : {};
  for (const name in input) {
    if (name === 'extensions' || name === 'time') continue;
    const value = input[name as keyof CreateEventInput<TData>];
    if (value !== undefined) draft[name] = value;
  }
  const { time } = input;
  draft.specversion = '1.0';
  draft.id = input.id ?? generateId();
  draft.time =
    time === undefined ? new Date(clock()).toISOString() : time instanceof Date ? time.toISOString() : time;
  draft.datacontenttype = input.datacontenttype ?? DEFAULT_DATA_CONTENT_TYPE;
  if (!validate) return draft as unknown as CloudEvent<TData>;
  const result = validateEnvelope(draft);
  if (!result.ok) throw new InvalidEventError(result.issues);
  return result.event as CloudEvent<TData>;
}
