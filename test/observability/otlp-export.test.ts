import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, defineWorkflow } from '../../src/index.js';
import { ATTR, SPANS } from '../../src/observability/attributes.js';
import { embedded, startApp } from '../integration/backends.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { idOf, parentOf, registerTestTracing, type TestTracing } from './trace-setup.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** A real OTLP/HTTP sink: keeps every JSON body posted to /v1/traces, with its content type. */
async function startSink(): Promise<{
  url: string;
  requests: { contentType: string; body: unknown }[];
  server: Server;
}> {
  const requests: { contentType: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests.push({
        contentType: req.headers['content-type'] ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, requests, server };
}

const pair = defineWorkflow({ name: 'exported', triggers: [{ type: 'test.exported' }] })
  .task('first', async () => 1)
  .task('second', { dependsOn: ['first'] }, async (ctx) => ctx.deps.first + 1);

describe('OTLP/HTTP export', () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  let tracing: TestTracing;

  beforeAll(async () => {
    sink = await startSink();
    tracing = registerTestTracing([new OTLPTraceExporter({ url: sink.url })]);
  });

  afterAll(async () => {
    await tracing.shutdown();
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  });

  it('delivers spans as OTLP JSON with the parent span ids intact', async () => {
    const ns = newPrefix();
    const recorder = new EventRecorder();
    const handle = await startApp(embedded, ns, [pair], [recorder.consumer()]);
    try {
      await handle.app.publish(createEvent({ type: 'test.exported', source: '/test', data: {} }));
      await waitFor(() => recorder.ofType('orchestration.workflow.completed')[0], 'workflow.completed');
      await waitFor(() => tracing.spans().filter((s) => s.name === SPANS.task).length === 2, 'task spans');
    } finally {
      await handle.stop();
      await embedded.cleanup(ns);
    }
    await tracing.provider.forceFlush();

    expect(sink.requests.length).toBeGreaterThan(0);
    for (const r of sink.requests) expect(r.contentType).toMatch(/^application\/json/);
    const received: OtlpSpan[] = sink.requests.flatMap((r) =>
      (
        r.body as { resourceSpans: { scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] }
      ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
    );
    const byId = new Map(received.map((s) => [s.spanId, s]));
    // Every span the SDK finished arrived, with the same ids and parents.
    for (const local of tracing.spans()) {
      const remote = byId.get(idOf(local));
      expect(remote, local.name).toBeDefined();
      expect(remote!.traceId).toBe(local.spanContext().traceId);
      expect(remote!.parentSpanId || undefined).toBe(parentOf(local));
    }
    const task = (name: string) =>
      received.find(
        (s) =>
          s.name === SPANS.task &&
          s.attributes.some((a) => a.key === ATTR.taskName && a.value.stringValue === name),
      )!;
    const trigger = received.find((s) => s.name === SPANS.trigger)!;
    expect(task('first').parentSpanId).toBe(trigger.spanId);
    expect(task('second').parentSpanId).toBe(task('first').spanId);
    expect(new Set(received.map((s) => s.traceId)).size).toBe(1);
  });
});
