/**
 * Tracing through the OpenTelemetry API only: with no SDK registered every call here is a cheap
 * no-op. Contexts are passed explicitly (a span's parent comes from a W3C carrier or a `Context`),
 * so traces join up on runtimes without an async context manager, such as Workers.
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { TRACER_NAME } from './attributes.js';

export { type Context, type Span, SpanKind } from '@opentelemetry/api';

/** W3C Trace Context as it travels on events (extensions) and invocations (fields). */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** Reads `traceparent`/`tracestate` from a plain object (an event or an invocation). */
const carrierGetter = {
  keys: (carrier: TraceCarrier) =>
    Object.keys(carrier).filter((k) => k === 'traceparent' || k === 'tracestate'),
  get: (carrier: TraceCarrier, key: string) => {
    const value = carrier[key as keyof TraceCarrier];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * The context a carrier names, on top of `base` (default: the active context).
 *
 * @example
 * const parent = extractContext(invocation); // the span that enqueued it
 */
export function extractContext(carrier: TraceCarrier | undefined, base: Context = context.active()): Context {
  if (!carrier || typeof carrier.traceparent !== 'string') return base;
  return propagation.extract(base, carrier, carrierGetter);
}

/**
 * The W3C carrier of a context (`{}` when no propagator is registered or no span is recording).
 *
 * @example
 * const trace = injectContext(trace.setSpan(ctx, span)); // { traceparent: '00-…', tracestate? }
 */
export function injectContext(ctx: Context): TraceCarrier {
  const out: Record<string, string> = {};
  propagation.inject(ctx, out);
  return {
    ...(out.traceparent ? { traceparent: out.traceparent } : {}),
    ...(out.tracestate ? { tracestate: out.tracestate } : {}),
  };
}

/**
 * The parent of a new span: `explicit` when given; else the active context if it holds a span (a
 * caller with a context manager); else the context the carrier names.
 */
export function parentContext(carrier?: TraceCarrier, explicit?: Context): Context {
  if (explicit) return explicit;
  const active = context.active();
  if (trace.getSpan(active)) return active;
  return extractContext(carrier, active);
}

export interface SpanOptions {
  kind?: SpanKind;
  parent: Context;
  attributes?: Attributes;
  links?: Link[];
}

let tracerProvider: TracerProvider | undefined;
let tracer: Tracer | undefined;

/**
 * waooaw's tracer, fetched again only when the global provider changes. Without an SDK,
 * `getTracer` builds a new proxy tracer on every call (the proxy still delegates once an SDK
 * registers, so keeping it is safe).
 */
function waooawTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider !== tracerProvider || !tracer) {
    tracerProvider = provider;
    tracer = provider.getTracer(TRACER_NAME);
  }
  return tracer;
}

/** Starts a span under `parent` and returns it with the context it is the current span of. */
export function startSpan(name: string, options: SpanOptions): { span: Span; ctx: Context } {
  const span = waooawTracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(options.links ? { links: options.links } : {}),
    },
    options.parent,
  );
  return { span, ctx: trace.setSpan(options.parent, span) };
}

/** Marks a span failed: status ERROR and the exception recorded as an event. */
export function recordFailure(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else span.recordException(String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Runs `fn` inside a new span (also made active, for callers with a context manager), ends it, and
 * records a thrown error before rethrowing it.
 *
 * @example
 * await inSpan(SPANS.trigger, { parent, attributes: { [ATTR.workflow]: name } }, async (span, ctx) => {
 *   await enqueueRoots(injectContext(ctx));
 * });
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span, ctx: Context) => Promise<T>,
): Promise<T> {
  const { span, ctx } = startSpan(name, options);
  try {
    return await context.with(ctx, () => fn(span, ctx));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A link to the span a carrier names (for an event whose own trace differs from the span's parent). */
export function linkTo(carrier: TraceCarrier): Link | undefined {
  if (typeof carrier.traceparent !== 'string') return undefined;
  const spanContext = trace.getSpanContext(extractContext(carrier, ROOT_CONTEXT));
  return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}
