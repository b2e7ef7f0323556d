/**
 * Turns tracing on for an entry point: an OTLP/HTTP (JSON) exporter behind a batch span processor,
 * and W3C Trace Context propagation. Named for Node, where it started; the Worker entry uses it as
 * well (the bundler picks the exporter's fetch-based build). The SDK packages load only when an endpoint is configured
 * (dynamic imports), so an app without tracing never loads them.
 */
import type { ContextManager } from '@opentelemetry/api';
import { context, propagation, trace } from '@opentelemetry/api';

/** The standard OTel variables this setup honours (the entry passes its env; nothing here reads it). */
export const TRACING_ENV = {
  endpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  tracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  headers: 'OTEL_EXPORTER_OTLP_HEADERS',
  serviceName: 'OTEL_SERVICE_NAME',
} as const;

export interface TracingOptions {
  /** Full URL of the traces endpoint (`http://collector:4318/v1/traces`). No URL, no tracing. */
  url?: string | undefined;
  /** Extra request headers (an API key). */
  headers?: Record<string, string>;
  serviceName?: string;
  /** Registered globally when given (Node: `AsyncLocalStorageContextManager`), so user spans nest. */
  contextManager?: ContextManager;
  /** Batch span processor delay; on Workers flush per request instead (`ctx.waitUntil(t.flush())`). */
  scheduledDelayMillis?: number;
}

export interface TracingHandle {
  /** Exports the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes and unregisters (SIGTERM). */
  shutdown(): Promise<void>;
}

/** Percent-decoded as the OTel spec asks; a value that is not valid percent-encoding is kept as written. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Reads the OTel variables from an environment object (`process.env`, a Worker's `env`).
 *
 * @example
 * const tracing = await setupTracing(tracingOptionsFromEnv(process.env));
 */
export function tracingOptionsFromEnv(env: Record<string, unknown>): TracingOptions {
  const text = (name: string) =>
    typeof env[name] === 'string' && env[name] !== '' ? (env[name] as string) : undefined;
  const base = text(TRACING_ENV.endpoint);
  const url = text(TRACING_ENV.tracesEndpoint) ?? (base ? `${base.replace(/\/$/, '')}/v1/traces` : undefined);
  const headers = Object.fromEntries(
    (text(TRACING_ENV.headers) ?? '').split(',').flatMap((pair) => {
      // Split at the first `=` only: values such as base64 credentials end in `=`.
      const at = pair.indexOf('=');
      const name = at > 0 ? decoded(pair.slice(0, at).trim()) : '';
      return name === '' ? [] : [[name, decoded(pair.slice(at + 1).trim())]];
    }),
  );
  const serviceName = text(TRACING_ENV.serviceName);
  return {
    ...(url ? { url } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(serviceName ? { serviceName } : {}),
  };
}

/**
 * Registers a tracer provider exporting over OTLP/HTTP JSON, and the W3C propagator. Returns
 * undefined (and loads nothing) when `url` is not set.
 *
 * @example
 * // functions/node.ts
 * const tracing = await setupTracing({ ...tracingOptionsFromEnv(process.env), contextManager });
 * process.on('SIGTERM', () => tracing?.shutdown());
 */
export async function setupTracing(options: TracingOptions): Promise<TracingHandle | undefined> {
  if (!options.url) return undefined;
  const [
    { BasicTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { W3CTraceContextPropagator },
    resources,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);
  const exporter = new OTLPTraceExporter({
    url: options.url,
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const provider = new BasicTracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'waooaw' }),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        ...(options.scheduledDelayMillis === undefined
          ? {}
          : { scheduledDelayMillis: options.scheduledDelayMillis }),
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (options.contextManager) context.setGlobalContextManager(options.contextManager.enable());
  return {
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      if (options.contextManager) context.disable();
    },
  };
}
