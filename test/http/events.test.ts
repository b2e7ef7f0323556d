/** POST /events over a real HTTP server, with requests built by the CloudEvents SDK. */
import { HTTP, CloudEvent as SdkEvent } from 'cloudevents';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventRecorder } from '../support/event-recorder.js';
import { waitFor } from '../support/wait.js';
import { type Harness, startHarness } from './harness.js';

const recorder = new EventRecorder();
let h: Harness;

beforeEach(async () => {
  recorder.events.length = 0;
  h = await startHarness({
    consumers: [recorder.consumer('shop.#', 'test.shop')],
    http: { bodyLimitBytes: 4096 },
  });
  await h.listen();
});
afterEach(() => h.close());

const sdkEvent = (extra: Record<string, unknown> = {}) =>
  new SdkEvent({
    id: 'sdk-1',
    source: '/shop',
    type: 'shop.order.created',
    datacontenttype: 'application/json',
    data: { order: 7 },
    ...extra,
  });

function post(body: string, headers: Record<string, string>) {
  return h.call('/events', { method: 'POST', body, headers });
}

const asStrings = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

const logged = async () => (await h.store.readEvents({ limit: 100 })).map((l) => l.event);

async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { type: string; status: number; issues?: { path: string; message: string }[] };
}

describe('POST /events', () => {
  it('accepts a structured event written by HTTP.structured and fans it out', async () => {
    const message = HTTP.structured(sdkEvent());
    const res = await post(String(message.body), asStrings(message.headers));
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 1, deliveries: 1, events: [{ id: 'sdk-1' }] });
    expect(body.events[0].seq).toEqual(expect.any(String));
    expect(await logged()).toMatchObject([{ id: 'sdk-1', type: 'shop.order.created', data: { order: 7 } }]);
    await waitFor(() => recorder.events.length === 1, 'the delivery');
  });

  it('accepts a binary-mode event written by HTTP.binary, extensions included', async () => {
    const message = HTTP.binary(sdkEvent({ id: 'bin-1', tenant: 'acme', subject: 'order-7' }));
    expect(message.headers['ce-type']).toBe('shop.order.created');
    const res = await post(String(message.body), asStrings(message.headers));
    expect(res.status).toBe(202);
    expect(await logged()).toMatchObject([
      { id: 'bin-1', subject: 'order-7', tenant: 'acme', data: { order: 7 } },
    ]);
  });

  it('accepts a batch in one request, in order', async () => {
    const batch = [
      { specversion: '1.0', id: 'b1', source: '/shop', type: 'shop.order.created', data: { n: 1 } },
      { specversion: '1.0', id: 'b2', source: '/shop', type: 'shop.order.paid', data: { n: 2 } },
    ];
    const res = await post(JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      accepted: 2,
      deliveries: 2,
      events: [{ id: 'b1' }, { id: 'b2' }],
    });
    expect((await logged()).map((e) => e.id)).toEqual(['b1', 'b2']);
  });

  it('accepts plain JSON: an object is one event, an array a batch', async () => {
    const one = { specversion: '1.0', id: 'p1', source: '/shop', type: 'other.thing' };
    expect((await post(JSON.stringify(one), { 'content-type': 'application/json' })).status).toBe(202);
    const res = await post(
      JSON.stringify([
        { ...one, id: 'p2' },
        { ...one, id: 'p3' },
      ]),
      {
        'content-type': 'application/json',
      },
    );
    expect(await res.json()).toMatchObject({ accepted: 2, deliveries: 0 });
    expect((await logged()).map((e) => e.id)).toEqual(['p1', 'p2', 'p3']);
  });

  it('refuses a batch with one bad event with 400 naming the field, and writes nothing', async () => {
    const batch = [
      { specversion: '1.0', id: 'ok', source: '/shop', type: 'shop.order.created' },
      { specversion: '1.0', id: 'bad', source: '/shop' },
    ];
    const res = await post(JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json' });
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 400, type: 'urn:waooaw:problem:invalid-event' });
    expect(problem.issues).toContainEqual({ path: '[1].type', message: 'required' });
    expect(await logged()).toEqual([]);
  });

  it('refuses data nested too deep with 400 naming data, and writes nothing', async () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    const event = (data: string) =>
      `{"specversion":"1.0","id":"deep","source":"/shop","type":"shop.order.created","data":${data}}`;
    // Deeper than the limit, than Redis would decode in a DLQ entry, and as deep as this body limit allows.
    for (const levels of [101, 1_100, 1_900]) {
      const res = await post(event(nested(levels)), { 'content-type': 'application/cloudevents+json' });
      expect(res.status, `${levels} levels`).toBe(400);
      expect((await problemOf(res)).issues).toEqual([
        { path: 'data', message: 'must not nest more than 100 levels deep' },
      ]);
    }
    expect(await logged()).toEqual([]);
    const fine = await post(event(nested(100)), { 'content-type': 'application/cloudevents+json' });
    expect(fine.status).toBe(202);
  });

  it('names the header of a bad binary-mode event', async () => {
    const res = await post('{}', {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'x',
      'ce-source': '/shop',
      'ce-type': 'not a type',
    });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).issues?.map((i) => i.path)).toContain('ce-type');
    expect(await logged()).toEqual([]);
  });

  it('says when the body is not JSON', async () => {
    const res = await post('{nope', { 'content-type': 'application/cloudevents+json' });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).issues).toEqual([{ path: 'body', message: 'body is not valid JSON' }]);
  });

  it('checks the strict orchestration namespace: bad trigger data and unknown types', async () => {
    const trigger = {
      specversion: '1.0',
      id: 't1',
      source: '/api',
      type: 'orchestration.task.trigger',
      data: {},
    };
    let res = await post(JSON.stringify(trigger), { 'content-type': 'application/cloudevents+json' });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).issues).toContainEqual({ path: 'data.task_name', message: 'required' });

    const unknown = { ...trigger, id: 't2', type: 'orchestration.made.up', data: {} };
    res = await post(JSON.stringify(unknown), { 'content-type': 'application/cloudevents+json' });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).issues?.[0]?.path).toBe('type');
    expect(await logged()).toEqual([]);
  });

  it('answers 415 for a content type it cannot read', async () => {
    let res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect((await problemOf(res)).issues?.[0]?.path).toBe('content-type');
    res = await post('<e/>', { 'content-type': 'application/cloudevents+xml' });
    expect(res.status).toBe(415);
    expect(await logged()).toEqual([]);
  });

  it('answers 413 past the body limit, with or without a content-length', async () => {
    const big = JSON.stringify({
      specversion: '1.0',
      id: 'big',
      source: '/s',
      type: 'a.b',
      data: 'x'.repeat(5000),
    });
    let res = await post(big, { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).type).toBe('urn:waooaw:problem:payload-too-large');

    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        controller.close();
      },
    });
    res = await h.call('/events', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await logged()).toEqual([]);
  });
});

describe('GET /events', () => {
  it('reads the log by type and time range, oldest first', async () => {
    const before = Date.now();
    const batch = [
      { specversion: '1.0', id: 'e1', source: '/s', type: 'shop.order.created' },
      { specversion: '1.0', id: 'e2', source: '/s', type: 'shop.order.paid' },
      { specversion: '1.0', id: 'e3', source: '/s', type: 'shop.order.created' },
    ];
    expect(
      (await post(JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json' })).status,
    ).toBe(202);
    const read = async (query: string) =>
      ((await (await h.call(`/events${query}`)).json()) as { event: { id: string } }[]).map(
        (l) => l.event.id,
      );
    expect(await read('')).toEqual(['e1', 'e2', 'e3']);
    expect(await read('?type=shop.order.created')).toEqual(['e1', 'e3']);
    expect(await read('?type=shop.order.paid,shop.order.created&limit=2')).toEqual(['e1', 'e2']);
    expect(await read(`?from=${before}&to=${Date.now() + 1000}&type=shop.order.paid`)).toEqual(['e2']);
    expect(await read(`?to=${before - 1}`)).toEqual([]);
  });

  it('names a bad query parameter and needs the token', async () => {
    const res = await h.call('/events?limit=0');
    expect(res.status).toBe(400);
    expect((await problemOf(res)).issues?.[0]?.path).toBe('limit');
    expect((await h.call('/events', { auth: 'wrong-token-0000000000' })).status).toBe(401);
  });
});

describe('publishing the same event twice', () => {
  it('accepts the retry but logs and delivers the event once', async () => {
    const body = JSON.stringify({
      specversion: '1.0',
      id: 'retry-1',
      source: '/shop',
      type: 'shop.order.created',
    });
    const first = await post(body, { 'content-type': 'application/cloudevents+json' });
    const second = await post(body, { 'content-type': 'application/cloudevents+json' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(((await first.json()) as { events: unknown[] }).events[0]).not.toHaveProperty('duplicate');
    expect(await second.json()).toMatchObject({
      deliveries: 0,
      events: [{ id: 'retry-1', duplicate: true }],
    });
    await waitFor(() => recorder.events.length === 1, 'the delivery');
    await new Promise((r) => setTimeout(r, 50));
    expect(recorder.events).toHaveLength(1);
    expect((await logged()).map((e) => e.id)).toEqual(['retry-1']);
  });
});
