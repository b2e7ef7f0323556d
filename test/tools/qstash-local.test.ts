import { randomUUID } from 'node:crypto';
import { Client, Receiver } from '@upstash/qstash';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { Received } from './helpers/destination.js';
import { useQStashLocal } from './helpers/qstash-fixture.js';

const local = useQStashLocal();
const { route, verify } = local;

describe('qstash-local publish and delivery', () => {
  it('delivers a publish signed so the real Receiver accepts it, with forwarded headers', async () => {
    const path = route('publish');
    const body = 'héllo wörld 🚀';
    const res = await local.client.publish({
      url: `${local.dest.url}${path}?a=1&b=two`,
      body,
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'yes' },
    });
    expect(res.messageId).toMatch(/^msg_/);
    const [got] = await waitFor(() => local.dest.on(path).length === 1 && local.dest.on(path));
    expect(got?.method).toBe('PUT');
    expect(got?.path).toBe(`${path}?a=1&b=two`);
    expect(got?.body).toBe(body);
    expect(got?.headers['x-custom']).toBe('yes');
    expect(got?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(got?.headers['upstash-message-id']).toBe(res.messageId);
    expect(got?.headers['upstash-retried']).toBe('0');
    expect(got?.headers['user-agent']).toBe('Upstash-QStash');
    await expect(
      local.receiver.verify({
        signature: String(got?.headers['upstash-signature']),
        body,
        url: `${local.dest.url}${path}?a=1&b=two`,
      }),
    ).resolves.toBe(true);
    await expect(
      local.receiver.verify({ signature: String(got?.headers['upstash-signature']), body: `${body}!` }),
    ).rejects.toThrow(/body hash/);
    await expect(
      new Receiver({ currentSigningKey: 'sig_wrong', nextSigningKey: 'sig_wrong2' }).verify({
        signature: String(got?.headers['upstash-signature']),
        body,
      }),
    ).rejects.toThrow();
  });

  it("keeps the destination's query string byte for byte", async () => {
    const path = route('query');
    const query = '?a=b%20c&flag&p=a/b&q=%2F';
    await local.client.publish({ url: `${local.dest.url}${path}${query}`, body: 'x' });
    const [got] = await waitFor(() => local.dest.on(path).length === 1 && local.dest.on(path));
    expect(got?.path).toBe(`${path}${query}`);
  });

  it('publishJSON and batchJSON deliver JSON bodies; batch answers one result per message', async () => {
    const a = route('json-a');
    const b = route('json-b');
    const single = await local.client.publishJSON({ url: `${local.dest.url}${a}`, body: { n: 1 } });
    const batch = await local.client.batchJSON([
      { url: `${local.dest.url}${b}`, body: { n: 2 } },
      { url: `${local.dest.url}${b}`, body: { n: 3 }, headers: { 'x-batch': 'yes' } },
    ]);
    expect(batch).toHaveLength(2);
    expect(batch.every((r) => 'messageId' in r && r.messageId.startsWith('msg_'))).toBe(true);
    await waitFor(() => local.dest.on(a).length === 1 && local.dest.on(b).length === 2);
    const [first] = local.dest.on(a);
    expect(JSON.parse(first?.body ?? '')).toEqual({ n: 1 });
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['upstash-message-id']).toBe(single.messageId);
    expect(
      local.dest
        .on(b)
        .map((r) => JSON.parse(r.body).n)
        .sort(),
    ).toEqual([2, 3]);
    expect(local.dest.on(b).find((r) => r.body.includes('3'))?.headers['x-batch']).toBe('yes');
    for (const r of [...local.dest.on(a), ...local.dest.on(b)]) await verify(r, r.path);
  });

  it('holds delayed messages until their time, and messages.get shows them', async () => {
    const path = route('delay');
    const before = Date.now();
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'later',
      delay: 1,
    });
    const stored = await local.client.messages.get(messageId);
    expect(stored.url).toBe(`${local.dest.url}${path}`);
    expect(stored.notBefore).toBeGreaterThanOrEqual(before + 1000);
    expect(local.dest.on(path)).toHaveLength(0);
    const [got] = await waitFor(() => local.dest.on(path).length === 1 && local.dest.on(path));
    expect(got?.at).toBeGreaterThanOrEqual(stored.notBefore as number);

    const abs = route('not-before');
    const notBefore = Math.ceil(Date.now() / 1000) + 1;
    await local.client.publish({ url: `${local.dest.url}${abs}`, body: 'x', notBefore, delay: 3600 });
    const [late] = await waitFor(() => local.dest.on(abs).length === 1 && local.dest.on(abs));
    expect(late?.at).toBeGreaterThanOrEqual(notBefore * 1000);
  });

  it('cancels a pending message: messages.cancel, then 404 and no delivery', async () => {
    const path = route('cancel');
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'x',
      delay: 60,
    });
    expect((await local.client.messages.get(messageId)).messageId).toBe(messageId);
    expect(await local.client.messages.cancel(messageId)).toEqual({ cancelled: 1 });
    await expect(local.client.messages.get(messageId)).rejects.toThrow(/not found/);
    await expect(local.client.messages.cancel(messageId)).rejects.toThrow(/not found/);

    const many = await Promise.all(
      [1, 2].map(() => local.client.publish({ url: `${local.dest.url}${path}`, body: 'y', delay: 60 })),
    );
    expect(await local.client.messages.cancel([...many.map((m) => m.messageId), 'msg_unknown'])).toEqual({
      cancelled: 2,
    });
    expect(local.dest.on(path)).toHaveLength(0);
  });

  it('deduplicates by id and by content within the window', async () => {
    const path = route('dedup');
    const dedupId = randomUUID();
    const first = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'one',
      deduplicationId: dedupId,
    });
    const again = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'two',
      deduplicationId: dedupId,
    });
    expect(first.deduplicated).toBeUndefined();
    expect(again).toMatchObject({ messageId: first.messageId, deduplicated: true });

    const raw = await fetch(`${local.qstash.url}/v2/publish/${local.dest.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${local.token}`, 'upstash-deduplication-id': dedupId },
      body: 'three',
    });
    expect(raw.status).toBe(202);

    const c1 = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'same',
      contentBasedDeduplication: true,
    });
    const c2 = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'same',
      contentBasedDeduplication: true,
    });
    const c3 = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'other',
      contentBasedDeduplication: true,
    });
    expect(c2).toMatchObject({ messageId: c1.messageId, deduplicated: true });
    expect(c3.messageId).not.toBe(c1.messageId);
    await waitFor(() => local.dest.on(path).length === 3);
    expect(
      local.dest
        .on(path)
        .map((r) => r.body)
        .sort(),
    ).toEqual(['one', 'other', 'same']);
  });

  it('calls Upstash-Callback after a successful delivery with the documented body', async () => {
    const path = route('ok');
    const cb = route('callback');
    local.dest.handle(path, (_req, res) => {
      res.writeHead(200, { 'x-answer': '42' }).end('the response');
    });
    const { messageId } = await local.client.publish({
      url: `${local.dest.url}${path}`,
      body: 'source body',
      callback: `${local.dest.url}${cb}`,
      headers: { 'Upstash-Callback-Forward-X-Cb': 'cb-header' },
    });
    const [got] = await waitFor(() => local.dest.on(cb).length === 1 && local.dest.on(cb));
    await verify(got as Received, cb);
    expect(got?.headers['x-cb']).toBe('cb-header');
    const payload = JSON.parse(got?.body ?? '');
    expect(payload).toMatchObject({
      status: 200,
      retried: 0,
      maxRetries: 3,
      sourceMessageId: messageId,
      url: `${local.dest.url}${path}`,
      method: 'POST',
      sourceBody: Buffer.from('source body').toString('base64'),
    });
    expect(Buffer.from(payload.body, 'base64').toString()).toBe('the response');
    expect(payload.header['x-answer']).toEqual(['42']);
  });
});

describe('qstash-local API surface', () => {
  it('refuses a wrong token with 401', async () => {
    const wrong = new Client({ baseUrl: local.qstash.url, token: 'nope', retry: false });
    await expect(wrong.publish({ url: `${local.dest.url}/x`, body: 'x' })).rejects.toThrow(/Unauthorized/);
    const res = await fetch(`${local.qstash.url}/v2/keys`);
    expect(res.status).toBe(401);
  });

  it('serves the signing keys', async () => {
    const res = await fetch(`${local.qstash.url}/v2/keys`, {
      headers: { authorization: `Bearer ${local.token}` },
    });
    expect(await res.json()).toEqual({ current: local.currentSigningKey, next: local.nextSigningKey });
  });

  it('rejects what it does not support with a clear error', async () => {
    await expect(local.client.publish({ urlGroup: 'my-group', body: 'x' })).rejects.toThrow(/URL groups/);
    await expect(
      local.client.publish({ url: `${local.dest.url}/x`, body: 'x', delay: 'soon' as never }),
    ).rejects.toThrow(/invalid upstash-delay/);
    await expect(local.client.schedules.list()).rejects.toThrow(/not supported by qstash-local/);
    await expect(
      local.client.batch([{ url: `${local.dest.url}/x`, body: 'x', queueName: 'q' } as never]),
    ).rejects.toThrow(/queues are not supported/);
  });
});
