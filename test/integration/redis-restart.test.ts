/**
 * Redis itself goes away for a while (a restart, a failover) while runs are in flight: the app
 * waits it out, and once Redis is back (with its data: append-only file) every run completes.
 * The test runs its own redis-server, so stopping it touches nothing else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
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
import { freePort } from '../support/net.js';
import { waitFor } from '../support/wait.js';
import { recordingChain } from './fixtures/recording-chain.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const { workflow: steps, executions } = recordingChain('outage', 'test.outage', ['a', 'b'], 20);

/** A redis-server of this test's own, persisting to an append-only file in `dir`. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  await waitFor(async () => (await probe.ping().catch(() => '')) === 'PONG', 'redis-server to start', 10_000);
  probe.disconnect();
  return server;
}

describe('Redis restart', () => {
  let app: Waooaw | undefined;
  let server: ChildProcess | undefined;
  let clients: Redis[] = [];
  let dir = '';

  afterEach(async () => {
    await app?.stop();
    for (const c of clients) c.disconnect();
    server?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Shut down, Redis answers what it ran before it goes; killed, the replies of what it ran are lost.
  it.each([
    ['shut down', 'shutdown'],
    ['killed (SIGKILL)', 'kill'],
  ] as const)(
    'waits out a Redis %s and restarted, and completes every run in flight',
    { timeout: 90_000 },
    async (_, how) => {
      executions.length = 0;
      dir = await mkdtemp(join(tmpdir(), 'waooaw-redis-'));
      const port = await freePort();
      server = await startRedis(port, dir);
      const options = { port, maxRetriesPerRequest: 3 };
      const storeClient = new Redis(options);
      const transportClient = new Redis(options);
      clients = [storeClient, transportClient];
      let outages = 0;
      for (const client of clients) watchConnection(client, { lost: () => outages++, restored: () => {} });
      const recorder = new EventRecorder();
      app = createWaooaw({
        store: new RedisStore(fromIoredis(storeClient, { closeClient: false }), { prefix: 't:' }),
        transport: new RedisTransport({
          redis: transportClient,
          prefix: 't:',
          concurrency: 10,
          retryDelayMs: () => 100,
          onError: () => {},
        }),
        workflows: [steps],
        consumers: [recorder.consumer('orchestration.workflow.*')],
        bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
      });
      await app.start();
      const sweeper = setInterval(() => void app?.sweep().catch(() => {}), 500);
      try {
        const runs = 30;
        await app.publish(
          Array.from({ length: runs }, () => createEvent({ type: 'test.outage', source: '/test' })),
        );
        await waitFor(() => executions.length >= 10, 'some tasks to run');
        // Redis goes away mid-stream, and comes back two seconds later with its data (every write
        // is in the append-only file before its reply).
        const exited = new Promise((r) => server!.once('exit', r));
        if (how === 'kill') {
          server!.kill('SIGKILL');
        } else {
          const admin = new Redis(options);
          admin.on('error', () => {});
          await admin.shutdown('SAVE').catch(() => {});
          admin.disconnect();
        }
        await exited;
        await sleep(2_000);
        server = await startRedis(port, dir);
        await waitFor(() => recorder.events.length >= runs, `${runs} runs`, 20_000).catch(async (error) => {
          const done = new Set(recorder.events.map((e) => (e.data as { run_id: string }).run_id));
          const started = [...new Set(executions.map((x) => x.split(':')[0]!))];
          const stuck = await Promise.all(
            started
              .filter((r) => !done.has(r))
              .map(async (id) => {
                const view = await app!.store.getRun(id);
                return `${id} ${view?.status}: ${view?.tasks.map((t) => `${t.name} ${t.state}#${t.attempt}`).join(', ')}`;
              }),
          );
          const stats = await (app!.transport as RedisTransport).stats();
          throw new Error(
            `${error}; ${done.size} done, ${started.length} started; unfinished: ${stuck.join('; ')}; transport ${JSON.stringify(stats)}`,
          );
        });
        expect(recorder.events.every((e) => e.type === 'orchestration.workflow.completed')).toBe(true);
        expect(new Set(recorder.events.map((e) => (e.data as { run_id: string }).run_id)).size).toBe(runs);
        expect(outages).toBeGreaterThanOrEqual(2);
        // No task ran twice, and nothing waited for a lease, an invocation or a queued task to
        // expire (the default timings are minutes).
        expect(executions).toHaveLength(runs * 2);
        expect(new Set(executions).size).toBe(runs * 2);
      } finally {
        clearInterval(sweeper);
      }
    },
  );
});
