/**
 * The same tracing setup inside workerd: bundled for the Worker (the exporter's fetch-based browser
 * build, no node:http), it exports OTLP JSON to a local sink when the request flushes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { describe, expect, it } from 'vitest';

const WORKER = `
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { setupTracing, tracingOptionsFromEnv } from '../../src/observability/node-tracing.js';
import { injectContext, startSpan } from '../../src/observability/tracing.js';

let tracing;
export default {
  async fetch(request, env) {
    tracing ??= await setupTracing(tracingOptionsFromEnv(env));
    const { span, ctx } = startSpan('waooaw.publish', { kind: SpanKind.PRODUCER, parent: ROOT_CONTEXT });
    span.end();
    await tracing.flush(); // on a real Worker: ctx.waitUntil(tracing.flush())
    return Response.json(injectContext(ctx));
  },
};
`;

describe('tracing on Workers', () => {
  it('exports OTLP JSON over fetch from workerd', async () => {
    const bundle = await build({
      stdin: { contents: WORKER, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]!.text;
    expect(code).not.toMatch(/node:http|require\("http"\)/);

    const received: { contentType: string; body: string }[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({ contentType: req.headers['content-type'] ?? '', body });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const mf = new Miniflare({
      modules: true,
      script: code,
      compatibilityDate: '2026-04-20',
      bindings: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
        OTEL_SERVICE_NAME: 'waooaw-worker',
      },
    });
    try {
      const res = await mf.dispatchFetch('http://localhost/');
      const carrier = (await res.json()) as { traceparent: string };
      expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(received).toHaveLength(1);
      expect(received[0]!.contentType).toMatch(/^application\/json/);
      const body = received[0]!.body;
      expect(body).toContain('"waooaw-worker"');
      expect(body).toContain(`"spanId":"${carrier.traceparent.split('-')[2]}"`);
    } finally {
      await mf.dispose();
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  }, 60_000);
});
