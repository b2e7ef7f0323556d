/**
 * Redis connections drop (a failover, a network blip, a restarted proxy): the clients reconnect,
 * calls whose replies were lost are answered when sent again (store and claim tokens), and every run
 * still completes once, with nothing lost and no task run twice.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createEvent,
  createWaooaw,
  fromIoredis,
  RedisStore,
  RedisTransport,
  type Waooaw,
  watchConnection,
} from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { recordingChain } from './fixtures/recording-chain.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { workflow: chain, executions } = recordingChain('blip', 'test.blip', ['a', 'b', 'c'], 5);

/** Closes every server connection named `name`, as a failover would; returns how many. */
async function killConnections(name: string): Promise<number> {
  const admin = new Redis(REDIS_URL);
  try {
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /id=(\d+)/.exec(line)![1]!);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    admin.disconnect();
  }
}

describe('Redis connection loss', () => {
  let app: Waooaw | undefined;
  let clients: Redis[] = [];
  let ns = '';

  afterEach(async () => {
    vi.restoreAllMocks();
    await app?.stop();
    const admin = new Redis(REDIS_URL);
    await deleteKeys(admin, ns);
    admin.disconnect();
    for (const c of clients) c.disconnect();
  });

  it('reconnects, answers resent calls once, and every run completes, each task run once', {
    timeout: 60_000,
  }, async () => {
    ns = newPrefix();
    executions.length = 0;
    // Named, so the server can drop exactly this app's connections (the dispatcher's blocking
    // connection is a duplicate and carries the name too).
    const name = `blip-${ns.slice(5, 13)}`;
    const storeClient = new Redis(REDIS_URL, { connectionName: name });
    const transportClient = new Redis(REDIS_URL, { connectionName: name });
    clients = [storeClient, transportClient];
    const outages = { lost: 0, restored: 0 };
    for (const client of clients) {
      watchConnection(client, { lost: () => outages.lost++, restored: () => outages.restored++ });
    }
    const transportErrors: string[] = [];
    // ioredis prints an "Unhandled error event" for a client nobody listens to: the transport's own
    // wake connection must not be one.
    const stderr = vi.spyOn(console, 'error');
    const recorder = new EventRecorder();
    app = createWaooaw({
      store: new RedisStore(fromIoredis(storeClient, { closeClient: false }), { prefix: ns }),
      transport: new RedisTransport({
        redis: transportClient,
        prefix: ns,
        concurrency: 10,
        onError: (error) => transportErrors.push(String(error)),
      }),
      workflows: [chain],
      consumers: [recorder.consumer('orchestration.workflow.*')],
      bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    });
    await app.start();
    // Every connection of the app drops at once, again and again, while runs start and progress:
    // calls in flight lose their replies, and ioredis sends them again after reconnecting.
    const runs = 100;
    let drops = 0;
    for (let i = 0; i < runs; i++) {
      await app.publish(createEvent({ type: 'test.blip', source: '/test' }));
      if (i % 7 === 3) drops += (await killConnections(name)) > 0 ? 1 : 0;
      await sleep(2);
    }
    expect(drops).toBeGreaterThanOrEqual(10);
    // Without replays, a lost reply left a run waiting for a lease or a queued timeout (minutes).
    await waitFor(() => recorder.events.length >= runs, `${runs} runs`, 15_000).catch(async (error) => {
      const done = new Set(recorder.events.map((e) => (e.data as { run_id: string }).run_id));
      const started = [...new Set(executions.map((x) => x.split(':')[0]!))];
      const stuck = await Promise.all(
        started
          .filter((r) => !done.has(r))
          .map(async (id) => {
            const view = await app!.store.getRun(id);
            return `${id} ${view?.status}: ${view?.tasks.map((t) => `${t.name} ${t.state}`).join(', ')}`;
          }),
      );
      throw new Error(`${error}; ${runs - done.size} runs unfinished: ${stuck.join('; ')}`);
    });
    expect(recorder.events.map((e) => e.type)).toEqual(Array(runs).fill('orchestration.workflow.completed'));
    expect(new Set(recorder.events.map((e) => (e.data as { run_id: string }).run_id)).size).toBe(runs);
    // Each task ran once: a resent lease or claim never started an attempt again.
    expect(executions).toHaveLength(runs * 3);
    expect(new Set(executions).size).toBe(runs * 3);
    // Each outage reported once, and its end.
    expect(outages.lost).toBeGreaterThanOrEqual(2);
    await waitFor(() => outages.restored === outages.lost, 'every connection restored');
    expect(transportErrors.some((e) => e.includes('wake connection lost'))).toBe(true);
    expect(stderr.mock.calls.map((c) => String(c[0]))).not.toContainEqual(
      expect.stringContaining('Unhandled error event'),
    );
  });
});
