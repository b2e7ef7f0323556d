import { randomUUID } from 'node:crypto';
import { Client, Receiver } from '@upstash/qstash';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RunningQStashLocal, startQStashLocal } from '../../../tools/qstash-local/server.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../../support/redis.js';
import { type Received, startDestination } from './destination.js';

/**
 * One qstash-local server per test file, on its own `test-<uuid>:` prefix, with its own token and
 * signing keys, fast retries, a destination server, a real Client and a real Receiver.
 * Registers the hooks that start it and delete the file's keys afterwards.
 */
export function useQStashLocal() {
  const prefix = newPrefix();
  const token = `token-${randomUUID()}`;
  const currentSigningKey = `sig_current_${randomUUID()}`;
  const nextSigningKey = `sig_next_${randomUUID()}`;
  const admin = new Redis(REDIS_URL);
  const receiver = new Receiver({ currentSigningKey, nextSigningKey });
  const fixture = {
    token,
    currentSigningKey,
    nextSigningKey,
    qstash: undefined as unknown as RunningQStashLocal,
    dest: undefined as unknown as Awaited<ReturnType<typeof startDestination>>,
    client: undefined as unknown as Client,
    /** A path no other test uses. */
    route: (name: string) => `/${name}-${randomUUID()}`,
    /** Check a received request's signature with the real Receiver, URL included. */
    verify: (r: Received, path: string) =>
      receiver.verify({
        signature: String(r.headers['upstash-signature']),
        body: r.body,
        url: `${fixture.dest.url}${path}`,
      }),
    receiver,
  };

  beforeAll(async () => {
    fixture.dest = await startDestination();
    fixture.qstash = await startQStashLocal({
      redisUrl: REDIS_URL,
      port: 0,
      token,
      currentSigningKey,
      nextSigningKey,
      prefix,
      retryBackoffMs: 50,
      pollIntervalMs: 20,
    });
    fixture.client = new Client({ baseUrl: fixture.qstash.url, token, retry: false, enableTelemetry: false });
  });

  afterAll(async () => {
    await fixture.qstash.close();
    await fixture.dest.close();
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  return fixture;
}
