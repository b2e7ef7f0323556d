/** GET /dlq, GET /dlq/:id, POST /dlq/:id/replay and POST /replay. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, type StoredCloudEvent } from '../../src/index.js';
import { CapturingTransport } from './capturing-transport.js';
import { bearer, type Harness, postJson, startHarness } from './harness.js';
import { WORKFLOWS } from './workflows.js';

let h: Harness;
let transport: CapturingTransport;

beforeEach(async () => {
  transport = new CapturingTransport();
  h = await startHarness({ workflows: WORKFLOWS, transport });
  await h.app.bus.subscribe({
    id: 'hook',
    pattern: 'shop.#',
    target: { kind: 'http', url: 'https://e.com/h' },
  });
  transport.envelopes.length = 0;
});
afterEach(() => h.close());

const cloudEvent = (id: string, type = 'shop.order.created') =>
  createEvent({ id, type, source: '/shop', data: {} });
const event = (id: string, type?: string) => cloudEvent(id, type) as unknown as StoredCloudEvent;

async function deadLetter(id: string, kind: 'delivery' | 'task' = 'delivery') {
  return h.store.addDlq({
    kind,
    reason: 'attempts exhausted',
    attempts: 5,
    lastError: 'HTTP 500',
    createdAt: Date.now(),
    ...(kind === 'delivery'
      ? { subscriptionId: 'hook', event: event(id) }
      : { runId: 'run_gone', task: 'echo' }),
  });
}

const get = (path: string) => h.http.request(path, { headers: bearer() });

describe('DLQ', () => {
  it('lists newest first, filters by subscription and kind, and limits', async () => {
    const a = await deadLetter('a');
    const b = await deadLetter('b');
    const t = await deadLetter('t', 'task');
    expect((await (await get('/dlq')).json()).map((e: { id: string }) => e.id)).toEqual([t.id, b.id, a.id]);
    expect((await (await get('/dlq?subscription=hook')).json()).map((e: { id: string }) => e.id)).toEqual([
      b.id,
      a.id,
    ]);
    expect(await (await get('/dlq?kind=task')).json()).toMatchObject([{ id: t.id, runId: 'run_gone' }]);
    expect(await (await get('/dlq?limit=1')).json()).toHaveLength(1);
    expect(await (await get(`/dlq/${a.id}`)).json()).toMatchObject({ id: a.id, event: { id: 'a' } });
    expect((await get('/dlq/nope')).status).toBe(404);
  });

  it('refuses a bad query with 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['kind=job', 'kind'],
    ]) {
      const res = await get(`/dlq?${query}`);
      expect(res.status, query).toBe(400);
      expect((await res.json()).issues[0].path).toBe(path);
    }
  });

  it('replays a delivery entry to its subscription and removes it', async () => {
    const entry = await deadLetter('a');
    const res = await h.http.request(`/dlq/${entry.id}/replay`, { method: 'POST', headers: bearer() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: entry.id, kind: 'delivery', subscriptionId: 'hook' });
    expect(transport.take('delivery')).toMatchObject([
      { subscriptionId: 'hook', attempt: 1, event: { id: 'a' } },
    ]);
    expect(await h.store.getDlq(entry.id)).toBeUndefined();
    expect(
      (await h.http.request(`/dlq/${entry.id}/replay`, { method: 'POST', headers: bearer() })).status,
    ).toBe(404);
  });

  it('answers 409 when the entry cannot be replayed any more', async () => {
    const entry = await deadLetter('t', 'task');
    const res = await h.http.request(`/dlq/${entry.id}/replay`, { method: 'POST', headers: bearer() });
    expect(res.status).toBe(409);
    expect(await h.store.getDlq(entry.id)).toBeDefined();
    // A delivery whose subscription was deleted since: nothing delivered, the entry kept.
    const delivery = await deadLetter('d');
    await h.app.bus.unsubscribe('hook');
    const gone = await h.http.request(`/dlq/${delivery.id}/replay`, { method: 'POST', headers: bearer() });
    expect(gone.status).toBe(409);
    expect((await gone.json()).detail).toContain("subscription 'hook'");
    expect(transport.envelopes).toEqual([]);
    expect(await h.store.getDlq(delivery.id)).toBeDefined();
  });
});

describe('POST /replay', () => {
  beforeEach(async () => {
    await h.app.publish([
      cloudEvent('e1'),
      cloudEvent('e2', 'shop.order.paid'),
      cloudEvent('e3', 'other.thing'),
    ]);
    transport.envelopes.length = 0;
  });

  it('re-delivers logged events by type to one subscription', async () => {
    const res = await h.http.request(
      '/replay',
      postJson({ types: ['shop.order.paid'], subscriptionId: 'hook' }),
    );
    expect(res.status).toBe(202);
    const result = await res.json();
    expect(result).toMatchObject({ events: 1, deliveries: 1, replayId: expect.stringMatching(/^rpl_/) });
    expect(transport.take('delivery')).toMatchObject([{ event: { id: 'e2' }, replayId: result.replayId }]);
  });

  it('takes a time range as RFC 3339 or epoch ms', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await (await h.http.request('/replay', postJson({ from: future }))).json();
    expect(none).toMatchObject({ events: 0, deliveries: 0 });
    const all = await (
      await h.http.request('/replay', postJson({ from: 0, to: Date.now() + 1000, limit: 10 }))
    ).json();
    expect(all).toMatchObject({ events: 3, deliveries: 2 });
  });

  it('names unknown or bad fields, and enqueues nothing', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'orchestration.workflow.start' }, 'type'],
      [{ subscription: 'hook' }, 'subscription'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2016-12-31T23:59:60Z' }, 'from'],
      [{ to: '1969-12-31T00:00:00Z' }, 'to'],
      [{ types: ['bad type'] }, 'types[0]'],
      [{ limit: 0 }, 'limit'],
      [{ from: 2000, to: 1000 }, 'to'],
      [{ subscriptionId: 'nope' }, 'subscriptionId'],
    ];
    for (const [body, path] of cases) {
      const res = await h.http.request('/replay', postJson(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const problem = await res.json();
      expect(problem.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect(transport.envelopes).toEqual([]);
  });
});
