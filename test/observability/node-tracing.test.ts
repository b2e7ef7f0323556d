import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { setupTracing, tracingOptionsFromEnv } from '../../src/observability/node-tracing.js';
import { injectContext, startSpan } from '../../src/observability/tracing.js';

describe('setupTracing', () => {
  it('reads the standard OTel variables from an env object', () => {
    expect(tracingOptionsFromEnv({})).toEqual({});
    expect(
      tracingOptionsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D, other = 1',
        OTEL_SERVICE_NAME: 'waooaw-node',
      }),
    ).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { 'x-api-key': 'abc=', other: '1' },
      serviceName: 'waooaw-node',
    });
    // Values with `=` (base64 credentials), a stray `%`, and entries without a name.
    expect(
      tracingOptionsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20dXNlcjpwYXNzd29yZA==,api-key=100%,=x,junk',
      }).headers,
    ).toEqual({ Authorization: 'Basic dXNlcjpwYXNzd29yZA==', 'api-key': '100%' });
    expect(
      tracingOptionsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom',
      }).url,
    ).toBe('http://b:4318/custom');
  });

  it('loads nothing and traces nothing without an endpoint', async () => {
    expect(await setupTracing({})).toBeUndefined();
    const { ctx } = startSpan('noop', { parent: ROOT_CONTEXT });
    expect(injectContext(ctx)).toEqual({});
  });

  it('exports batched spans as OTLP JSON with the service name, and propagates W3C context', async () => {
    const bodies: { contentType: string; body: { resourceSpans: unknown[] } }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({
          contentType: req.headers['content-type'] ?? '',
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const tracing = await setupTracing({ url, serviceName: 'waooaw-test' });
    try {
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
        isRemote: true,
      });
      const { span, ctx } = startSpan('waooaw.publish', { kind: SpanKind.PRODUCER, parent });
      expect(injectContext(ctx).traceparent).toBe(
        `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`,
      );
      span.end();
      await tracing!.flush();
    } finally {
      await tracing!.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.contentType).toMatch(/^application\/json/);
    const text = JSON.stringify(bodies[0]!.body);
    expect(text).toContain('"waooaw-test"');
    expect(text).toContain('"parentSpanId":"b7ad6b7169203331"');
  });
});
