/**
 * The spans of the event bus: `waooaw.publish` (producer) and `waooaw.deliver` (consumer), and how
 * a published event carries its trace. Typed structurally so that observability imports no part.
 */
import { type Attributes, type Context, context, type Link, SpanKind, trace } from '@opentelemetry/api';
import { ATTR, MESSAGING_SYSTEM } from './attributes.js';
import { extractContext, linkTo, type SpanOptions, type TraceCarrier } from './tracing.js';

interface TracedEvent {
  id: string;
  type: string;
  traceparent?: unknown;
  tracestate?: unknown;
}

const carrierOf = (event: TracedEvent): TraceCarrier | undefined =>
  typeof event.traceparent === 'string'
    ? {
        traceparent: event.traceparent,
        ...(typeof event.tracestate === 'string' ? { tracestate: event.tracestate } : {}),
      }
    : undefined;

/**
 * Options of the `waooaw.publish` span of one publish call. Its parent is the caller's active span,
 * else the trace the first event already carries (a lifecycle event carries its attempt's span);
 * other events' traces become links.
 */
export function publishSpanOptions(events: readonly TracedEvent[], explicit?: Context): SpanOptions {
  const active = explicit ?? context.active();
  const fromCaller = explicit !== undefined || trace.getSpan(active) !== undefined;
  const first = events.map(carrierOf).find((c) => c !== undefined);
  const parent = fromCaller ? active : extractContext(first, active);
  const links: Link[] = [];
  for (const event of events) {
    const carrier = carrierOf(event);
    if (!carrier || (!fromCaller && carrier.traceparent === first?.traceparent)) continue;
    const link = linkTo(carrier);
    if (link && !links.some((l) => l.context.spanId === link.context.spanId)) links.push(link);
  }
  const attributes: Attributes = {
    [ATTR.messagingSystem]: MESSAGING_SYSTEM,
    [ATTR.messagingOperationType]: 'send',
    [ATTR.messagingOperationName]: 'publish',
    [ATTR.messagingBatchCount]: events.length,
  };
  if (events.length === 1) {
    attributes[ATTR.eventId] = events[0]!.id;
    attributes[ATTR.eventType] = events[0]!.type;
    attributes[ATTR.messagingMessageId] = events[0]!.id;
  } else {
    attributes[ATTR.eventType] = [...new Set(events.map((e) => e.type))];
  }
  return { kind: SpanKind.PRODUCER, parent, attributes, ...(links.length > 0 ? { links } : {}) };
}

/** The event with `carrier` as its trace context, unless it already carries one. */
export function withTraceContext<E extends TracedEvent>(event: E, carrier: TraceCarrier): E {
  if (typeof event.traceparent === 'string' || !carrier.traceparent) return event;
  return {
    ...event,
    traceparent: carrier.traceparent,
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
  };
}

interface TracedDelivery extends TraceCarrier {
  subscriptionId: string;
  attempt: number;
  replayId?: string;
  event: TracedEvent;
}

/** Options of the `waooaw.deliver` span: a child of the trace the invocation carries (the event's). */
export function deliverySpanOptions(invocation: TracedDelivery): SpanOptions {
  const { event } = invocation;
  return {
    kind: SpanKind.CONSUMER,
    parent: extractContext(invocation),
    attributes: {
      [ATTR.messagingSystem]: MESSAGING_SYSTEM,
      [ATTR.messagingOperationType]: 'process',
      [ATTR.messagingOperationName]: 'deliver',
      [ATTR.messagingDestination]: invocation.subscriptionId,
      [ATTR.messagingMessageId]: event.id,
      [ATTR.eventId]: event.id,
      [ATTR.eventType]: event.type,
      [ATTR.subscriptionId]: invocation.subscriptionId,
      [ATTR.deliveryAttempt]: invocation.attempt,
      ...(invocation.replayId ? { [ATTR.replayId]: invocation.replayId } : {}),
    },
  };
}
