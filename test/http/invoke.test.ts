/** POST /invoke and /callbacks/failure over a real HTTP server, with a QStash-like push transport. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Invocation } from '../../src/index.js';
import { CapturingTransport } from './capturing-transport.js';
import { type Harness, signInvocation, startHarness } from './harness.js';
import { WORKFLOWS } from './workflows.js';

let h: Harness;
let transport: CapturingTransport;

beforeEach(async () => {
  transport = new CapturingTransport();
  h = await startHarness({ workflows: WORKFLOWS, transport });
  await h.listen();
});
afterEach(() => h.close());

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Delivers everything the transport holds over POST /invoke, as QStash would, until it is empty. */
async function deliverAll(): Promise<number[]> {
  const statuses: number[] = [];
  for (let round = 0; round < 50 && transport.envelopes.length > 0; round++) {
    const batch = transport.envelopes.splice(0);
    for (const { invocation } of batch) {
      const res = await h.signedPost('/invoke', JSON.stringify(invocation));
      statuses.push(res.status);
    }
  }
  return statuses;
}

const taskInvocation = (over: Partial<Invocation> = {}) =>
  ({
    kind: 'task',
    runId: 'run_x',
    workflow: 'echo',
    task: 'echo',
    attempt: 1,
    phase: 'execute',
    ...over,
  }) as Invocation;

describe('POST /invoke', () => {
  it('refuses an unsigned or badly signed request with 401 before the handler runs', async () => {
    const invoke = vi.spyOn(h.app, 'invoke');
    const body = JSON.stringify(taskInvocation());
    let res = await fetch(`${h.url}/invoke`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    res = await h.signedPost('/invoke', body, 'f'.repeat(64));
    expect(res.status).toBe(401);
    // Signed for another body: the signature covers the body.
    res = await fetch(`${h.url}/invoke`, {
      method: 'POST',
      body,
      headers: { 'upstash-signature': await signInvocation(`${h.url}/invoke`, '{}') },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'urn:waooaw:problem:unauthorized' });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('runs a workflow end to end when the transport delivers its invocations over HTTP', async () => {
    const trigger = {
      specversion: '1.0',
      id: 'greet-1',
      source: '/t',
      type: 'test.greet.requested',
      data: { name: 'ada' },
    };
    const published = await h.call('/events', {
      method: 'POST',
      body: JSON.stringify(trigger),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(published.status).toBe(202);
    expect(transport.envelopes.length).toBeGreaterThan(0);

    const statuses = await deliverAll();
    expect(statuses.every((s) => s === 200)).toBe(true);
    const [completed] = await h.store.readEvents({ limit: 100, types: ['orchestration.workflow.completed'] });
    const runId = (completed!.event.data as { run_id: string }).run_id;
    const view = await (await h.call(`/runs/${runId}`)).json();
    expect(view).toMatchObject({ status: 'completed', workflow: 'greet' });
    expect(view.tasks.map((t: { name: string; result: unknown }) => [t.name, t.result])).toEqual([
      ['hello', 'hello ada'],
      ['shout', 'HELLO ADA'],
    ]);
  });

  it('runs a signed standalone task invocation', async () => {
    const { runId } = await h.app.orchestrator.startRun({ workflow: 'echo', input: { x: 1 } });
    const [task] = transport.take('task');
    expect(task).toMatchObject({ runId, task: 'echo', attempt: 1 });
    const res = await h.signedPost('/invoke', JSON.stringify(task));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ack' });
    const run = await h.app.orchestrator.getRun(runId);
    expect(run?.tasks[0]).toMatchObject({ state: 'completed', result: { echoed: { x: 1 } } });
  });

  it('answers a malformed invocation with 489 and Upstash-NonRetryable-Error, without running it', async () => {
    const invoke = vi.spyOn(h.app, 'invoke');
    let res = await h.signedPost('/invoke', JSON.stringify({ kind: 'job', runId: 'r' }));
    expect(res.status).toBe(489);
    expect(res.headers.get('upstash-nonretryable-error')).toBe('true');
    expect((await res.json()).issues[0].path).toBe('kind');

    res = await h.signedPost('/invoke', JSON.stringify(taskInvocation({ attempt: 0 })));
    expect(res.status).toBe(489);
    expect((await res.json()).issues).toEqual([{ path: 'attempt', message: expect.any(String) }]);

    res = await h.signedPost('/invoke', 'not json');
    expect(res.status).toBe(489);
    expect((await res.json()).issues).toEqual([{ path: 'body', message: 'body is not valid JSON' }]);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('answers a retry outcome with 500 and Retry-After, so the transport delivers it again', async () => {
    vi.spyOn(h.app, 'invoke').mockResolvedValue({ status: 'retry', error: 'lease busy', delayMs: 1500 });
    const res = await h.signedPost('/invoke', JSON.stringify(taskInvocation()));
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({
      type: 'urn:waooaw:problem:invocation-failed',
      detail: 'lease busy',
    });
  });
});

describe('POST /callbacks/failure', () => {
  const delivery = {
    kind: 'delivery',
    subscriptionId: 'sub-hook',
    event: { specversion: '1.0', id: 'ev-1', source: '/s', type: 'shop.order.created' },
    attempt: 2,
    publishedAt: 1,
  };
  const callback = (source: unknown, over: Record<string, unknown> = {}) =>
    JSON.stringify({
      status: 503,
      header: { 'content-type': ['text/plain'] },
      body: b64('upstream down'),
      retried: 3,
      maxRetries: 3,
      dlqId: 'qstash-dlq-1',
      sourceMessageId: 'msg_1',
      url: `${h.url}/invoke`,
      method: 'POST',
      sourceBody: b64(JSON.stringify(source)),
      ...over,
    });

  it('records a delivery the transport gave up on in the DLQ', async () => {
    const res = await h.signedPost('/callbacks/failure', callback(delivery));
    expect(res.status).toBe(200);
    const { dlqId } = await res.json();
    expect(await h.store.getDlq(dlqId)).toMatchObject({
      kind: 'delivery',
      reason: 'transport gave up',
      subscriptionId: 'sub-hook',
      event: { id: 'ev-1' },
      attempts: 2,
      lastError: 'HTTP 503: upstream down',
    });
  });

  it('records a task the transport gave up on under its run', async () => {
    const res = await h.signedPost(
      '/callbacks/failure',
      callback(taskInvocation({ runId: 'run_9' }), { status: 0, body: '' }),
    );
    expect(res.status).toBe(200);
    const [entry] = await h.store.listDlq({ limit: 10 });
    expect(entry).toMatchObject({ kind: 'task', runId: 'run_9', task: 'echo', lastError: 'no response' });
  });

  it('refuses an unsigned callback and writes nothing; a foreign source body is 489', async () => {
    let res = await fetch(`${h.url}/callbacks/failure`, { method: 'POST', body: callback(delivery) });
    expect(res.status).toBe(401);
    res = await h.signedPost('/callbacks/failure', callback({ hello: 'world' }));
    expect(res.status).toBe(489);
    expect(res.headers.get('upstash-nonretryable-error')).toBe('true');
    expect((await res.json()).issues[0].path).toBe('sourceBody.kind');
    res = await h.signedPost('/callbacks/failure', JSON.stringify({ status: 500 }));
    expect(res.status).toBe(489);
    expect((await res.json()).issues).toEqual([{ path: 'sourceBody', message: 'required' }]);
    expect(await h.store.listDlq({ limit: 10 })).toEqual([]);
  });
});
