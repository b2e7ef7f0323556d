import { randomUUID } from 'node:crypto';
import { Client, Receiver } from '@upstash/qstash';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEV_CURRENT_SIGNING_KEY,
  DEV_NEXT_SIGNING_KEY,
  DEV_TOKEN,
} from '../../tools/qstash-local/constants.js';
import { qstashKeys } from '../../tools/qstash-local/keys.js';
import { createMessage } from '../../tools/qstash-local/message.js';
import { startQStashLocal } from '../../tools/qstash-local/server.js';
import { QStashStore } from '../../tools/qstash-local/store.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { startDestination } from './helpers/destination.js';

const prefix = newPrefix();
const admin = new Redis(REDIS_URL);
let dest: Awaited<ReturnType<typeof startDestination>>;

beforeAll(async () => {
  dest = await startDestination();
});

afterAll(async () => {
  await dest.close();
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

const fast = { redisUrl: REDIS_URL, port: 0, retryBackoffMs: 50, pollIntervalMs: 20 };

describe('qstash-local durability', () => {
  it('keeps pending messages across a restart on the same prefix', async () => {
    const scope = `${prefix}restart:`;
    const path = `/restart-${randomUUID()}`;
    const first = await startQStashLocal({ ...fast, prefix: scope });
    const client = new Client({ baseUrl: first.url, token: DEV_TOKEN, retry: false });
    const { messageId } = await client.publish({ url: `${dest.url}${path}`, body: 'survives', delay: 1 });
    await first.close();

    const second = await startQStashLocal({ ...fast, prefix: scope });
    try {
      const [got] = await waitFor(() => dest.on(path).length === 1 && dest.on(path));
      expect(got?.headers['upstash-message-id']).toBe(messageId);
      expect(got?.body).toBe('survives');
    } finally {
      await second.close();
    }
  });

  it('hands back an attempt in progress when closed, and delivers it after restart', async () => {
    const scope = `${prefix}abort:`;
    const path = `/abort-${randomUUID()}`;
    let hang = true;
    dest.handle(path, (_req, res) => {
      if (!hang) res.end('ok');
    });
    const first = await startQStashLocal({ ...fast, prefix: scope });
    const client = new Client({ baseUrl: first.url, token: DEV_TOKEN, retry: false });
    const { messageId } = await client.publish({ url: `${dest.url}${path}`, body: 'x' });
    await waitFor(() => dest.on(path).length === 1);
    await first.close();
    hang = false;

    const second = await startQStashLocal({ ...fast, prefix: scope });
    try {
      await waitFor(() => dest.on(path).length === 2);
      // Not a failure: the interrupted attempt does not count as a retry.
      expect(dest.on(path).map((r) => r.headers['upstash-retried'])).toEqual(['0', '0']);
      expect(dest.on(path)[1]?.headers['upstash-message-id']).toBe(messageId);
    } finally {
      await second.close();
    }
  });

  it('re-delivers a message whose deliverer died, once its visibility deadline passes', async () => {
    const scope = `${prefix}crash:`;
    const path = `/crash-${randomUUID()}`;
    // A process claims the message and dies before settling it.
    const redis = new Redis(REDIS_URL);
    const store = new QStashStore(redis, qstashKeys(scope));
    const now = Date.now();
    const message = createMessage(
      {
        url: `${dest.url}${path}`,
        method: 'POST',
        headers: {},
        bodyBase64: '',
        maxRetries: 3,
        notBefore: now,
      },
      now,
    );
    await store.enqueue(message);
    expect(await store.claim(now, now + 300, 10)).toHaveLength(1);
    redis.disconnect();

    const survivor = await startQStashLocal({ ...fast, prefix: scope });
    try {
      const [got] = await waitFor(() => dest.on(path).length === 1 && dest.on(path));
      expect(got?.headers['upstash-message-id']).toBe(message.messageId);
      expect(got?.at).toBeGreaterThanOrEqual(now + 300);
    } finally {
      await survivor.close();
    }
  });
});

describe('qstash-local as the QStash dev server', () => {
  it('uses the dev token and keys by default, so devMode clients and receivers work unchanged', async () => {
    const server = await startQStashLocal({ ...fast, prefix: `${prefix}dev:` });
    const previousPort = process.env.QSTASH_DEV_PORT;
    process.env.QSTASH_DEV_PORT = String(server.port);
    try {
      const keys = await fetch(`${server.url}/v2/keys`, {
        headers: { authorization: `Bearer ${DEV_TOKEN}` },
      });
      expect(await keys.json()).toEqual({ current: DEV_CURRENT_SIGNING_KEY, next: DEV_NEXT_SIGNING_KEY });

      const path = `/dev-${randomUUID()}`;
      const client = new Client({ devMode: true, retry: false });
      await client.publishJSON({ url: `${dest.url}${path}`, body: { dev: true } });
      const [got] = await waitFor(() => dest.on(path).length === 1 && dest.on(path));
      const receiver = new Receiver({ devMode: true });
      await expect(
        receiver.verify({ signature: String(got?.headers['upstash-signature']), body: got?.body ?? '' }),
      ).resolves.toBe(true);
    } finally {
      if (previousPort === undefined) delete process.env.QSTASH_DEV_PORT;
      else process.env.QSTASH_DEV_PORT = previousPort;
      await server.close();
    }
  });
});
