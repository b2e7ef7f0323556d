import { randomUUID } from 'node:crypto';
import { Client } from '@upstash/qstash';
import { describe, expect, it } from 'vitest';
import {
  delaySeconds,
  headerSafe,
  type Invocation,
  QStashTransport,
  type TaskInvocation,
} from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';
import type { Received } from '../tools/helpers/destination.js';
import { useQStashLocal } from '../tools/helpers/qstash-fixture.js';

const local = useQStashLocal();

function task(name: string, extra: Partial<TaskInvocation> = {}): TaskInvocation {
  return { kind: 'task', runId: 'run-1', workflow: 'wf', task: name, attempt: 1, phase: 'execute', ...extra };
}

/** A transport whose public URL is a fresh path on the test destination. */
function transportUnderTest(options: { retries?: number } = {}) {
  const base = local.route('app');
  const transport = new QStashTransport({
    qstash: { baseUrl: local.qstash.url, token: local.token },
    publicUrl: `${local.dest.url}${base}/`,
    ...options,
  });
  const invokePath = `${base}/invoke`;
  const failurePath = `${base}/callbacks/failure`;
  return {
    transport,
    invokePath,
    failurePath,
    invocations: () => local.dest.on(invokePath),
    bodies: () => local.dest.on(invokePath).map((r) => JSON.parse(r.body) as Invocation),
  };
}

describe('QStashTransport', () => {
  it('publishes one envelope to /invoke, signed for that URL, with the trace headers forwarded', async () => {
    const t = transportUnderTest();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const invocation = task('a', { traceparent, tracestate: 'vendor=1' });
    await t.transport.enqueue([{ invocation, options: { dedupId: `run-${randomUUID()}:a:execute:1` } }]);
    const [delivered] = await waitFor(() => t.invocations().length === 1 && t.invocations());
    const received = delivered as Received;
    expect(JSON.parse(received.body)).toEqual(invocation);
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers.traceparent).toBe(traceparent);
    expect(received.headers.tracestate).toBe('vendor=1');
    expect(await local.verify(received, t.invokePath)).toBe(true);
    await expect(
      local.receiver.verify({
        signature: String(received.headers['upstash-signature']),
        body: received.body,
        url: `${local.dest.url}/elsewhere`,
      }),
    ).rejects.toThrow(/subject/);
  });

  it('sends many envelopes in one batch request, each delivered once', async () => {
    const t = transportUnderTest();
    const run = `run-${randomUUID()}`;
    const calls: string[] = [];
    const original = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      // The local QStash delivers with fetch too: count only what is sent to it.
      if (url.origin === local.qstash.url) calls.push(url.pathname);
      return original(input, init);
    };
    try {
      await t.transport.enqueue(
        ['a', 'b', 'c', 'd', 'e'].map((name) => ({
          invocation: task(name),
          options: { dedupId: `${run}:${name}:execute:1` },
        })),
      );
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toEqual(['/v2/batch']);
    await waitFor(() => t.invocations().length === 5);
    const names = t.bodies().map((b) => (b as TaskInvocation).task);
    expect(names.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('splits a large enqueue into batches of batchSize', async () => {
    const base = local.route('app');
    const transport = new QStashTransport({
      qstash: new Client({ baseUrl: local.qstash.url, token: local.token, retry: false }),
      publicUrl: `${local.dest.url}${base}`,
      batchSize: 2,
    });
    await transport.enqueue(['a', 'b', 'c', 'd', 'e'].map((name) => ({ invocation: task(name) })));
    await waitFor(() => local.dest.on(`${base}/invoke`).length === 5);
  });

  it('drops a second enqueue with the same dedup id', async () => {
    const t = transportUnderTest();
    const dedupId = `run-${randomUUID()}:a:execute:1`;
    await t.transport.enqueue([{ invocation: task('a'), options: { dedupId } }]);
    await t.transport.enqueue([{ invocation: task('a'), options: { dedupId } }]);
    await t.transport.enqueue([{ invocation: task('b'), options: { dedupId: `${dedupId}-other` } }]);
    await waitFor(() => t.invocations().length === 2);
    // The duplicate would have been published before 'b'; give it the same chance to arrive.
    await waitFor(() => t.bodies().some((b) => (b as TaskInvocation).task === 'b'));
    expect(t.bodies().filter((b) => (b as TaskInvocation).task === 'a')).toHaveLength(1);
  });

  it('delays by whole seconds, rounded up, so nothing runs early', async () => {
    const t = transportUnderTest();
    const before = Date.now();
    await t.transport.enqueue([{ invocation: task('later'), options: { delayMs: 1_200 } }]);
    const [delivered] = await waitFor(() => t.invocations().length === 1 && t.invocations());
    expect((delivered as Received).at - before).toBeGreaterThanOrEqual(1_200);
  });

  it('keeps at most flowLimit invocations of one flow key in flight', async () => {
    const t = transportUnderTest();
    let inFlight = 0;
    let most = 0;
    local.dest.handle(t.invokePath, async (_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 60));
      inFlight--;
      res.end('ok');
    });
    await t.transport.enqueue(
      ['a', 'b', 'c', 'd'].map((name) => ({
        invocation: task(name),
        options: { flowKey: 'wf:a:tenant/1 ü', flowLimit: 1 },
      })),
    );
    await waitFor(() => t.invocations().length === 4);
    expect(most).toBe(1);
  });

  it('lets QStash retry a crashed invocation, then calls the failure callback with the invocation', async () => {
    const t = transportUnderTest({ retries: 2 });
    local.dest.handle(t.invokePath, (_req, res) => void res.writeHead(500).end('isolate crashed'));
    const invocation = task('crashes');
    await t.transport.enqueue([{ invocation }]);
    const [callback] = await waitFor(
      () => local.dest.on(t.failurePath).length === 1 && local.dest.on(t.failurePath),
    );
    expect(t.invocations().map((r) => r.headers['upstash-retried'])).toEqual(['0', '1', '2']);
    expect(await local.verify(callback as Received, t.failurePath)).toBe(true);
    const body = JSON.parse((callback as Received).body);
    expect(body.status).toBe(500);
    expect(JSON.parse(Buffer.from(body.sourceBody, 'base64').toString())).toEqual(invocation);
    expect(Buffer.from(body.body, 'base64').toString()).toBe('isolate crashed');
  });

  it('stops at once on 489 with Upstash-NonRetryable-Error', async () => {
    const t = transportUnderTest({ retries: 3 });
    local.dest.handle(t.invokePath, (_req, res) => {
      res.writeHead(489, { 'upstash-nonretryable-error': 'true' }).end('malformed');
    });
    await t.transport.enqueue([{ invocation: task('malformed') }]);
    await waitFor(() => local.dest.on(t.failurePath).length === 1);
    expect(t.invocations()).toHaveLength(1);
  });

  it('has nothing to start or stop, and ignores an empty enqueue', async () => {
    const t = transportUnderTest();
    await t.transport.start(async () => ({ status: 'ack' }));
    await t.transport.enqueue([]);
    await t.transport.stop();
    expect(t.transport.name).toBe('qstash');
  });
});

describe('QStash message mapping', () => {
  it('escapes ids and keys one-to-one for headers', () => {
    expect(headerSafe('run-1:task_a.b~c')).toBe('run-1:task_a.b~c');
    expect(headerSafe('a b/ü%')).toBe('a%20b%2F%C3%BC%25');
    expect(headerSafe('a%20b')).not.toBe(headerSafe('a b'));
  });

  it('rounds delays up to whole seconds', () => {
    expect(delaySeconds(undefined)).toBeUndefined();
    expect(delaySeconds(0)).toBeUndefined();
    expect(delaySeconds(1)).toBe(1);
    expect(delaySeconds(1_000)).toBe(1);
    expect(delaySeconds(1_001)).toBe(2);
  });
});
