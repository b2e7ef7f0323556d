import { randomUUID } from 'node:crypto';
import { Client, Receiver } from '@upstash/qstash';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningQStashLocal, startQStashLocal } from '../../tools/qstash-local/server.js';
import { type Received, startDestination, waitFor } from './helpers/destination.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `test-${randomUUID()}:`;
const TOKEN = `token-${randomUUID()}`;
const CURRENT = `sig_current_${randomUUID()}`;
const NEXT = `sig_next_${randomUUID()}`;

const admin = new Redis(REDIS_URL);
let qstash: RunningQStashLocal;
let dest: Awaited<ReturnType<typeof startDestination>>;
let client: Client;
const receiver = new Receiver({ currentSigningKey: CURRENT, nextSigningKey: NEXT });

beforeAll(async () => {
  dest = await startDestination();
  qstash = await startQStashLocal({
    redisUrl: REDIS_URL,
    port: 0,
    token: TOKEN,
    currentSigningKey: CURRENT,
    nextSigningKey: NEXT,
    prefix: `${prefix}main:`,
    retryBackoffMs: 50,
    pollIntervalMs: 20,
  });
  client = new Client({ baseUrl: qstash.url, token: TOKEN, retry: false, enableTelemetry: false });
});

afterAll(async () => {
  await qstash.close();
  await dest.close();
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

/** A path no other test uses. */
const route = (name: string) => `/${name}-${randomUUID()}`;

const verify = (r: Received, path: string) =>
  receiver.verify({
    signature: String(r.headers['upstash-signature']),
    body: r.body,
    url: `${dest.url}${path}`,
  });

describe('qstash-local publish and delivery', () => {
  it('delivers a publish signed so the real Receiver accepts it, with forwarded headers', async () => {
    const path = route('publish');
    const body = 'héllo wörld 🚀';
    const res = await client.publish({
      url: `${dest.url}${path}?a=1&b=two`,
      body,
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'yes' },
    });
    expect(res.messageId).toMatch(/^msg_/);
    const [got] = await waitFor(() => dest.on(path).length === 1 && dest.on(path));
    expect(got?.method).toBe('PUT');
    expect(got?.path).toBe(`${path}?a=1&b=two`);
    expect(got?.body).toBe(body);
    expect(got?.headers['x-custom']).toBe('yes');
    expect(got?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(got?.headers['upstash-message-id']).toBe(res.messageId);
    expect(got?.headers['upstash-retried']).toBe('0');
    expect(got?.headers['user-agent']).toBe('Upstash-QStash');
    await expect(
      receiver.verify({
        signature: String(got?.headers['upstash-signature']),
        body,
        url: `${dest.url}${path}?a=1&b=two`,
      }),
    ).resolves.toBe(true);
    await expect(
      receiver.verify({ signature: String(got?.headers['upstash-signature']), body: `${body}!` }),
    ).rejects.toThrow(/body hash/);
    await expect(
      new Receiver({ currentSigningKey: 'sig_wrong', nextSigningKey: 'sig_wrong2' }).verify({
        signature: String(got?.headers['upstash-signature']),
        body,
      }),
    ).rejects.toThrow();
  });

  it('publishJSON and batchJSON deliver JSON bodies; batch answers one result per message', async () => {
    const a = route('json-a');
    const b = route('json-b');
    const single = await client.publishJSON({ url: `${dest.url}${a}`, body: { n: 1 } });
    const batch = await client.batchJSON([
      { url: `${dest.url}${b}`, body: { n: 2 } },
      { url: `${dest.url}${b}`, body: { n: 3 }, headers: { 'x-batch': 'yes' } },
    ]);
    expect(batch).toHaveLength(2);
    expect(batch.every((r) => 'messageId' in r && r.messageId.startsWith('msg_'))).toBe(true);
    await waitFor(() => dest.on(a).length === 1 && dest.on(b).length === 2);
    const [first] = dest.on(a);
    expect(JSON.parse(first?.body ?? '')).toEqual({ n: 1 });
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['upstash-message-id']).toBe(single.messageId);
    expect(
      dest
        .on(b)
        .map((r) => JSON.parse(r.body).n)
        .sort(),
    ).toEqual([2, 3]);
    expect(dest.on(b).find((r) => r.body.includes('3'))?.headers['x-batch']).toBe('yes');
    for (const r of [...dest.on(a), ...dest.on(b)]) await verify(r, r.path);
  });

  it('holds delayed messages until their time, and messages.get shows them', async () => {
    const path = route('delay');
    const before = Date.now();
    const { messageId } = await client.publish({ url: `${dest.url}${path}`, body: 'later', delay: 1 });
    const stored = await client.messages.get(messageId);
    expect(stored.url).toBe(`${dest.url}${path}`);
    expect(stored.notBefore).toBeGreaterThanOrEqual(before + 1000);
    expect(dest.on(path)).toHaveLength(0);
    const [got] = await waitFor(() => dest.on(path).length === 1 && dest.on(path));
    expect(got?.at).toBeGreaterThanOrEqual(stored.notBefore as number);

    const abs = route('not-before');
    const notBefore = Math.ceil(Date.now() / 1000) + 1;
    await client.publish({ url: `${dest.url}${abs}`, body: 'x', notBefore, delay: 3600 });
    const [late] = await waitFor(() => dest.on(abs).length === 1 && dest.on(abs));
    expect(late?.at).toBeGreaterThanOrEqual(notBefore * 1000);
  });

  it('cancels a pending message: messages.cancel, then 404 and no delivery', async () => {
    const path = route('cancel');
    const { messageId } = await client.publish({ url: `${dest.url}${path}`, body: 'x', delay: 60 });
    expect((await client.messages.get(messageId)).messageId).toBe(messageId);
    expect(await client.messages.cancel(messageId)).toEqual({ cancelled: 1 });
    await expect(client.messages.get(messageId)).rejects.toThrow(/not found/);
    await expect(client.messages.cancel(messageId)).rejects.toThrow(/not found/);

    const many = await Promise.all(
      [1, 2].map(() => client.publish({ url: `${dest.url}${path}`, body: 'y', delay: 60 })),
    );
    expect(await client.messages.cancel([...many.map((m) => m.messageId), 'msg_unknown'])).toEqual({
      cancelled: 2,
    });
    expect(dest.on(path)).toHaveLength(0);
  });

  it('deduplicates by id and by content within the window', async () => {
    const path = route('dedup');
    const dedupId = randomUUID();
    const first = await client.publish({ url: `${dest.url}${path}`, body: 'one', deduplicationId: dedupId });
    const again = await client.publish({ url: `${dest.url}${path}`, body: 'two', deduplicationId: dedupId });
    expect(first.deduplicated).toBeUndefined();
    expect(again).toMatchObject({ messageId: first.messageId, deduplicated: true });

    const raw = await fetch(`${qstash.url}/v2/publish/${dest.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'upstash-deduplication-id': dedupId },
      body: 'three',
    });
    expect(raw.status).toBe(202);

    const c1 = await client.publish({
      url: `${dest.url}${path}`,
      body: 'same',
      contentBasedDeduplication: true,
    });
    const c2 = await client.publish({
      url: `${dest.url}${path}`,
      body: 'same',
      contentBasedDeduplication: true,
    });
    const c3 = await client.publish({
      url: `${dest.url}${path}`,
      body: 'other',
      contentBasedDeduplication: true,
    });
    expect(c2).toMatchObject({ messageId: c1.messageId, deduplicated: true });
    expect(c3.messageId).not.toBe(c1.messageId);
    await waitFor(() => dest.on(path).length === 3);
    expect(
      dest
        .on(path)
        .map((r) => r.body)
        .sort(),
    ).toEqual(['one', 'other', 'same']);
  });

  it('calls Upstash-Callback after a successful delivery with the documented body', async () => {
    const path = route('ok');
    const cb = route('callback');
    dest.handle(path, (_req, res) => {
      res.writeHead(200, { 'x-answer': '42' }).end('the response');
    });
    const { messageId } = await client.publish({
      url: `${dest.url}${path}`,
      body: 'source body',
      callback: `${dest.url}${cb}`,
      headers: { 'Upstash-Callback-Forward-X-Cb': 'cb-header' },
    });
    const [got] = await waitFor(() => dest.on(cb).length === 1 && dest.on(cb));
    await verify(got as Received, cb);
    expect(got?.headers['x-cb']).toBe('cb-header');
    const payload = JSON.parse(got?.body ?? '');
    expect(payload).toMatchObject({
      status: 200,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: messageId,
      url: `${dest.url}${path}`,
      method: 'POST',
      sourceBody: Buffer.from('source body').toString('base64'),
    });
    expect(Buffer.from(payload.body, 'base64').toString()).toBe('the response');
    expect(payload.header['x-answer']).toEqual(['42']);
  });
});

describe('qstash-local retries, failure callback and DLQ', () => {
  it('retries a failing destination, then calls the failure callback and dead-letters it', async () => {
    const path = route('fail');
    const failure = route('failure');
    dest.handle(path, (_req, res) => {
      res.writeHead(500, { 'x-why': 'broken' }).end('boom');
    });
    const { messageId } = await client.publish({
      url: `${dest.url}${path}`,
      body: 'payload',
      retries: 2,
      failureCallback: `${dest.url}${failure}`,
      label: 'tests',
    });
    const [fc] = await waitFor(() => dest.on(failure).length === 1 && dest.on(failure));
    expect(dest.on(path).map((r) => r.headers['upstash-retried'])).toEqual(['0', '1', '2']);
    for (const r of dest.on(path)) expect(r.headers['upstash-message-id']).toBe(messageId);
    await verify(fc as Received, failure);
    const body = JSON.parse(fc?.body ?? '');
    expect(body).toMatchObject({
      status: 500,
      retried: 2,
      maxRetries: 2,
      sourceMessageId: messageId,
      url: `${dest.url}${path}`,
      method: 'POST',
      sourceBody: Buffer.from('payload').toString('base64'),
    });
    expect(Buffer.from(body.body, 'base64').toString()).toBe('boom');
    expect(body.header['x-why']).toEqual(['broken']);
    expect(typeof body.dlqId).toBe('string');

    const { messages } = await client.dlq.listMessages({ filter: { url: `${dest.url}${path}` } });
    expect(messages).toHaveLength(1);
    const [dead] = messages;
    expect(dead).toMatchObject({
      dlqId: body.dlqId,
      messageId,
      url: `${dest.url}${path}`,
      responseStatus: 500,
      responseBody: 'boom',
      body: 'payload',
      maxRetries: 2,
      label: 'tests',
    });
    const one = await fetch(`${qstash.url}/v2/dlq/${body.dlqId}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect((await one.json()).dlqId).toBe(body.dlqId);

    // Retry from the DLQ once the destination is fixed: a new message, and the entry is gone.
    dest.handle(path, (_req, res) => void res.end('fixed'));
    const retried = await client.dlq.retry(body.dlqId);
    expect(retried.responses).toHaveLength(1);
    const newId = retried.responses[0]?.messageId;
    expect(newId).not.toBe(messageId);
    await waitFor(() => dest.on(path).some((r) => r.headers['upstash-message-id'] === newId));
    expect((await client.dlq.listMessages({ dlqIds: [body.dlqId] })).messages).toHaveLength(0);
  });

  it('deletes DLQ entries one by one and in bulk', async () => {
    const path = route('dlq-delete');
    dest.handle(path, (_req, res) => void res.writeHead(400).end('bad'));
    await Promise.all(
      [1, 2, 3].map((n) => client.publish({ url: `${dest.url}${path}`, body: String(n), retries: 0 })),
    );
    const listed = await waitFor(async () => {
      const { messages } = await client.dlq.listMessages({ filter: { url: `${dest.url}${path}` } });
      return messages.length === 3 && messages;
    });
    const [a, b, c] = listed.map((m) => m.dlqId);
    expect(await client.dlq.delete(a as string)).toEqual({ deleted: 1 });
    expect(await client.dlq.delete([b as string, c as string])).toMatchObject({ deleted: 2 });
    expect((await client.dlq.listMessages({ filter: { url: `${dest.url}${path}` } })).messages).toHaveLength(
      0,
    );
    await expect(client.dlq.delete(a as string)).rejects.toThrow(/not found/);
  });

  it('honours Retry-After from the destination over the message retry delay', async () => {
    const path = route('retry-after');
    let calls = 0;
    dest.handle(path, (_req, res) => {
      calls += 1;
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.end('ok');
    });
    // Without Retry-After this retry would wait an hour.
    await client.publish({ url: `${dest.url}${path}`, body: 'x', retries: 1, retryDelay: '3600000' });
    await waitFor(() => dest.on(path).length === 2, 10_000, 'the retry Retry-After asked for');
    const [first, second] = dest.on(path);
    expect(second?.headers['upstash-retried']).toBe('1');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('uses the Upstash-Retry-Delay expression when the destination gives no Retry-After', async () => {
    const path = route('retry-delay');
    dest.handle(path, (_req, res) => void res.writeHead(503).end());
    const { messageId } = await client.publish({
      url: `${dest.url}${path}`,
      body: 'x',
      retries: 2,
      retryDelay: 'max(10, 3600000 * retried)',
    });
    await waitFor(() => dest.on(path).length === 2);
    // The second retry is an hour away: the message waits in the store with retried = 1.
    const stored = await client.messages.get(messageId);
    expect(stored).toMatchObject({ messageId, retryDelayExpression: 'max(10, 3600000 * retried)' });
    await client.messages.cancel(messageId);
  });

  it('stops at once on 489 with Upstash-NonRetryable-Error', async () => {
    const path = route('non-retryable');
    const failure = route('non-retryable-failure');
    dest.handle(
      path,
      (_req, res) => void res.writeHead(489, { 'Upstash-NonRetryable-Error': 'true' }).end('no'),
    );
    const { messageId } = await client.publish({
      url: `${dest.url}${path}`,
      body: 'x',
      retries: 3,
      failureCallback: `${dest.url}${failure}`,
    });
    const [fc] = await waitFor(() => dest.on(failure).length === 1 && dest.on(failure));
    expect(JSON.parse(fc?.body ?? '')).toMatchObject({ status: 489, retried: 0, sourceMessageId: messageId });
    expect(dest.on(path)).toHaveLength(1);
    const { messages } = await client.dlq.listMessages({ filter: { messageId } });
    expect(messages[0]?.responseStatus).toBe(489);
  });

  it('retries when the destination is unreachable, then dead-letters with status 0', async () => {
    const gone = await startDestination();
    await gone.close();
    const { messageId } = await client.publish({ url: `${gone.url}/nowhere`, body: 'x', retries: 1 });
    const dead = await waitFor(async () => {
      const { messages } = await client.dlq.listMessages({ filter: { messageId } });
      return messages[0];
    });
    expect(dead).toMatchObject({ messageId, responseStatus: 0, maxRetries: 1 });
  });
  it('calls Upstash-Callback after every attempt, failed ones included', async () => {
    const path = route('flaky');
    const cb = route('flaky-callback');
    let calls = 0;
    dest.handle(path, (_req, res) => {
      calls += 1;
      res.writeHead(calls === 1 ? 502 : 200).end(`attempt ${calls}`);
    });
    await client.publish({ url: `${dest.url}${path}`, body: 'x', retries: 2, callback: `${dest.url}${cb}` });
    await waitFor(() => dest.on(cb).length === 2);
    const bodies = dest.on(cb).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => [b.status, b.retried, Buffer.from(b.body, 'base64').toString()]).sort()).toEqual(
      [
        [200, 1, 'attempt 2'],
        [502, 0, 'attempt 1'],
      ],
    );
  });

  it('fails an attempt that outlives Upstash-Timeout', async () => {
    const path = route('slow');
    dest.handle(path, () => {
      // Never answers.
    });
    const { messageId } = await client.publish({
      url: `${dest.url}${path}`,
      body: 'x',
      retries: 0,
      timeout: 1,
    });
    const dead = await waitFor(
      async () => (await client.dlq.listMessages({ filter: { messageId } })).messages[0],
    );
    expect(dead.responseStatus).toBe(0);
    expect(dead.responseBody).toMatch(/timeout|abort/i);
  });
});

describe('qstash-local flow control', () => {
  it('never overlaps deliveries of one flow key with parallelism 1', async () => {
    const path = route('flow');
    let inFlight = 0;
    let maxInFlight = 0;
    dest.handle(path, async (_req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 60));
      inFlight -= 1;
      res.end('ok');
    });
    const flowControl = { key: `flow-${randomUUID()}`, parallelism: 1 };
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) => client.publish({ url: `${dest.url}${path}`, body: String(n), flowControl })),
    );
    await waitFor(() => dest.on(path).length === 5);
    expect(maxInFlight).toBe(1);
  });

  it('lets deliveries of a parallelism-2 key overlap, but never more than two', async () => {
    const path = route('flow2');
    let inFlight = 0;
    let maxInFlight = 0;
    dest.handle(path, async (_req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 100));
      inFlight -= 1;
      res.end('ok');
    });
    const flowControl = { key: `flow-${randomUUID()}`, parallelism: 2 };
    await client.batch(
      [1, 2, 3, 4, 5, 6].map((n) => ({ url: `${dest.url}${path}`, body: String(n), flowControl })),
    );
    await waitFor(() => dest.on(path).length === 6);
    expect(maxInFlight).toBeLessThanOrEqual(2);
  });
});

describe('qstash-local API surface', () => {
  it('refuses a wrong token with 401', async () => {
    const wrong = new Client({ baseUrl: qstash.url, token: 'nope', retry: false });
    await expect(wrong.publish({ url: `${dest.url}/x`, body: 'x' })).rejects.toThrow(/Unauthorized/);
    const res = await fetch(`${qstash.url}/v2/keys`);
    expect(res.status).toBe(401);
  });

  it('serves the signing keys', async () => {
    const res = await fetch(`${qstash.url}/v2/keys`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ current: CURRENT, next: NEXT });
  });

  it('rejects what it does not support with a clear error', async () => {
    await expect(client.publish({ urlGroup: 'my-group', body: 'x' })).rejects.toThrow(/URL groups/);
    await expect(client.publish({ url: `${dest.url}/x`, body: 'x', delay: 'soon' as never })).rejects.toThrow(
      /invalid upstash-delay/,
    );
    await expect(client.schedules.list()).rejects.toThrow(/not supported by qstash-local/);
    await expect(
      client.batch([{ url: `${dest.url}/x`, body: 'x', queueName: 'q' } as never]),
    ).rejects.toThrow(/queues are not supported/);
  });
});
