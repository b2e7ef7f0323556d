import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { type Received, startDestination } from './helpers/destination.js';
import { useQStashLocal } from './helpers/qstash-fixture.js';

const local = useQStashLocal();
const { route, verify } = local;

describe('qstash-local retries, failure callback and DLQ', () => {
  it('retries a failing destination, then calls the failure callback and dead-letters it', async () => {
    const path = route('fail');
    const failure = route('failure');
    local.dest.handle(path, (_req, res) => {
      res.writeHead(500, { 'x-why': 'broken' }).end('boom');
    });
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'payload',
      retries: 2,
      failureCallback: `${local.dest.url}${failure}`,
      label: 'tests',
    });
    const [fc] = await waitFor(() => local.dest.on(failure).length === 1 && local.dest.on(failure));
    expect(local.dest.on(path).map((r) => r.headers['upstash-retried'])).toEqual(['0', '1', '2']);
    for (const r of local.dest.on(path)) expect(r.headers['upstash-message-id']).toBe(messageId);
    await verify(fc as Received, failure);
    const body = JSON.parse(fc?.body ?? '');
    expect(body).toMatchObject({
      status: 500,
      retried: 2,
      maxRetries: 2,
      sourceMessageId: messageId,
      url: `${local.dest.url}${path}`,
      method: 'POST',
      sourceBody: Buffer.from('payload').toString('base64'),
    });
    expect(Buffer.from(body.body, 'base64').toString()).toBe('boom');
    expect(body.header['x-why']).toEqual(['broken']);
    expect(typeof body.dlqId).toBe('string');

    const { messages } = await local.client.dlq.listMessages({ filter: { url: `${local.dest.url}${path}` } });
    expect(messages).toHaveLength(1);
    const [dead] = messages;
    expect(dead).toMatchObject({
      dlqId: body.dlqId,
      messageId,
      url: `${local.dest.url}${path}`,
      responseStatus: 500,
      responseBody: 'boom',
      body: 'payload',
      maxRetries: 2,
      label: 'tests',
    });
    const one = await fetch(`${local.qstash.url}/v2/dlq/${body.dlqId}`, {
      headers: { authorization: `Bearer ${local.token}` },
    });
    expect((await one.json()).dlqId).toBe(body.dlqId);

    // Retry from the DLQ once the destination is fixed: a new message, and the entry is gone.
    local.dest.handle(path, (_req, res) => void res.end('fixed'));
    const retried = await local.client.dlq.retry(body.dlqId);
    expect(retried.responses).toHaveLength(1);
    const newId = retried.responses[0]?.messageId;
    expect(newId).not.toBe(messageId);
    await waitFor(() => local.dest.on(path).some((r) => r.headers['upstash-message-id'] === newId));
    expect((await local.client.dlq.listMessages({ dlqIds: [body.dlqId] })).messages).toHaveLength(0);
  });

  it('deletes DLQ entries one by one and in bulk', async () => {
    const path = route('dlq-delete');
    local.dest.handle(path, (_req, res) => void res.writeHead(400).end('bad'));
    await Promise.all(
      [1, 2, 3].map((n) =>
        local.client.publish({ url: `${local.dest.url}${path}`, body: String(n), retries: 0 }),
      ),
    );
    const listed = await waitFor(async () => {
      const { messages } = await local.client.dlq.listMessages({
        filter: { url: `${local.dest.url}${path}` },
      });
      return messages.length === 3 && messages;
    });
    const [a, b, c] = listed.map((m) => m.dlqId);
    expect(await local.client.dlq.delete(a as string)).toEqual({ deleted: 1 });
    expect(await local.client.dlq.delete([b as string, c as string])).toMatchObject({ deleted: 2 });
    expect(
      (await local.client.dlq.listMessages({ filter: { url: `${local.dest.url}${path}` } })).messages,
    ).toHaveLength(0);
    await expect(local.client.dlq.delete(a as string)).rejects.toThrow(/not found/);
  });

  it('honours Retry-After from the destination over the message retry delay', async () => {
    const path = route('retry-after');
    let calls = 0;
    local.dest.handle(path, (_req, res) => {
      calls += 1;
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.end('ok');
    });
    // Without Retry-After this retry would wait an hour.
    await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      retries: 1,
      retryDelay: '3600000',
    });
    await waitFor(() => local.dest.on(path).length === 2, 'the retry Retry-After asked for');
    const [first, second] = local.dest.on(path);
    expect(second?.headers['upstash-retried']).toBe('1');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('uses the Upstash-Retry-Delay expression when the destination gives no Retry-After', async () => {
    const path = route('retry-delay');
    local.dest.handle(path, (_req, res) => void res.writeHead(503).end());
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      retries: 2,
      retryDelay: 'max(10, 3600000 * retried)',
    });
    await waitFor(() => local.dest.on(path).length === 2);
    // The second retry is an hour away: the message waits in the store with retried = 1.
    const stored = await local.client.messages.get(messageId);
    expect(stored).toMatchObject({ messageId, retryDelayExpression: 'max(10, 3600000 * retried)' });
    await local.client.messages.cancel(messageId);
  });

  it('falls back to its default backoff when the retry delay expression fails at a later retry', async () => {
    const path = route('retry-delay-broken');
    local.dest.handle(path, (_req, res) => void res.writeHead(503).end());
    // Fine at retried = 0, a division by zero at retried = 1.
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      retries: 2,
      retryDelay: '10 / (1 - retried)',
    });
    // Every attempt happens and the message is dead-lettered, instead of hanging in flight.
    await waitFor(() => local.dest.on(path).length === 3, 'three attempts', 15_000);
    await waitFor(async () =>
      (await local.client.dlq.listMessages()).messages.some((m) => m.messageId === messageId),
    );
  });

  it('stops at once on 489 with Upstash-NonRetryable-Error', async () => {
    const path = route('non-retryable');
    const failure = route('non-retryable-failure');
    local.dest.handle(
      path,
      (_req, res) => void res.writeHead(489, { 'Upstash-NonRetryable-Error': 'true' }).end('no'),
    );
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      retries: 3,
      failureCallback: `${local.dest.url}${failure}`,
    });
    const [fc] = await waitFor(() => local.dest.on(failure).length === 1 && local.dest.on(failure));
    expect(JSON.parse(fc?.body ?? '')).toMatchObject({ status: 489, retried: 0, sourceMessageId: messageId });
    expect(local.dest.on(path)).toHaveLength(1);
    const { messages } = await local.client.dlq.listMessages({ filter: { messageId } });
    expect(messages[0]?.responseStatus).toBe(489);
  });

  it('retries when the destination is unreachable, then dead-letters with status 0', async () => {
    const gone = await startDestination();
    await gone.close();
    const { messageId } = await local.client.publish({ url: `${gone.url}/nowhere`, body: 'x', retries: 1 });
    const dead = await waitFor(async () => {
      const { messages } = await local.client.dlq.listMessages({ filter: { messageId } });
      return messages[0];
    });
    expect(dead).toMatchObject({ messageId, responseStatus: 0, maxRetries: 1 });
  });
  it('calls Upstash-Callback after every attempt, failed ones included', async () => {
    const path = route('flaky');
    const cb = route('flaky-callback');
    let calls = 0;
    local.dest.handle(path, (_req, res) => {
      calls += 1;
      res.writeHead(calls === 1 ? 502 : 200).end(`attempt ${calls}`);
    });
    await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      retries: 2,
      callback: `${local.dest.url}${cb}`,
    });
    await waitFor(() => local.dest.on(cb).length === 2);
    const bodies = local.dest.on(cb).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => [b.status, b.retried, Buffer.from(b.body, 'base64').toString()]).sort()).toEqual(
      [
        [200, 1, 'attempt 2'],
        [502, 0, 'attempt 1'],
      ],
    );
  });

  it('fails an attempt that outlives Upstash-Timeout', async () => {
    const path = route('slow');
    local.dest.handle(path, () => {
      // Never answers.
    });
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      retries: 0,
      timeout: 1,
    });
    const dead = await waitFor(
      async () => (await local.client.dlq.listMessages({ filter: { messageId } })).messages[0],
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
    local.dest.handle(path, async (_req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 60));
      inFlight -= 1;
      res.end('ok');
    });
    const flowControl = { key: `flow-${randomUUID()}`, parallelism: 1 };
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        local.client.publish({ url: `${local.dest.url}${path}`, body: String(n), flowControl }),
      ),
    );
    await waitFor(() => local.dest.on(path).length === 5);
    expect(maxInFlight).toBe(1);
  });

  it('lets deliveries of a parallelism-2 key overlap, but never more than two', async () => {
    const path = route('flow2');
    let inFlight = 0;
    let maxInFlight = 0;
    local.dest.handle(path, async (_req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 100));
      inFlight -= 1;
      res.end('ok');
    });
    const flowControl = { key: `flow-${randomUUID()}`, parallelism: 2 };
    await local.client.batch(
      [1, 2, 3, 4, 5, 6].map((n) => ({ url: `${local.dest.url}${path}`, body: String(n), flowControl })),
    );
    await waitFor(() => local.dest.on(path).length === 6);
    expect(maxInFlight).toBeLessThanOrEqual(2);
  });
});
