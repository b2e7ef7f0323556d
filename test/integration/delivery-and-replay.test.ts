import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEvent,
  defineWorkflow,
  type HandlerSubscription,
  SIGNATURE_HEADER,
  verifyDelivery,
} from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, BACKENDS, startApp } from './backends.js';

const SECRET = 'test-signing-secret-0123456789';
const switches = { broken: true };

const fragile = defineWorkflow({ name: 'fragile', triggers: [{ type: 'test.fragile' }] })
  .task('first', async () => 1)
  .task('second', { dependsOn: ['first'], retry: { maxAttempts: 1 } }, async (ctx) => {
    if (switches.broken) throw new Error('dependency outage');
    return ctx.deps.first + 1;
  });

interface Received {
  body: string;
  signature: string | undefined;
}

async function subscriber(
  status: () => number,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ body, signature: req.headers[SIGNATURE_HEADER] as string | undefined });
      res.statusCode = status();
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

/** An ordered consumer of ledger entries that logs `<subject>:<n>@<attempt>` and fails each first entry once. */
function ledger(log: string[]): HandlerSubscription {
  const failed = new Set<string>();
  return {
    id: 'test.ledger',
    pattern: 'ledger.#',
    ordered: true,
    handler: async (event, ctx) => {
      const { n } = event.data as { n: number };
      log.push(`${event.subject}:${n}@${ctx.attempt}`);
      if (n === 1 && event.subject === 'acct-7' && !failed.has(event.id)) {
        failed.add(event.id);
        throw new Error('transient');
      }
    },
  };
}

const ledgerEntry = (subject: string, n: number) =>
  createEvent({ type: 'ledger.entry', source: '/ledger', subject, data: { n } });

describe.each(BACKENDS)('deliveries and replay on $name', (backend) => {
  let handle: AppHandle | undefined;
  let server: Server | undefined;
  let ns = '';
  const recorder = new EventRecorder();

  async function start(): Promise<AppHandle> {
    ns = newPrefix();
    recorder.events.length = 0;
    handle = await startApp(backend, ns, [fragile], [recorder.consumer()], { signingSecret: SECRET });
    return handle;
  }

  afterEach(async () => {
    await handle?.stop();
    server?.close();
    await backend.cleanup(ns);
  });

  it('delivers events of two sources that share an id, each once', async () => {
    // CloudEvents ids are unique per source only: producers that number their events collide.
    ns = newPrefix();
    const shop = new EventRecorder();
    handle = await startApp(backend, ns, [], [shop.consumer('shop.#', 'test.shop')]);
    const result = await handle.app.publish([
      createEvent({ type: 'shop.ordered', source: '/shop-a', id: '42' }),
      createEvent({ type: 'shop.ordered', source: '/shop-b', id: '42' }),
    ]);
    expect(result.deliveries).toBe(2);
    await waitFor(() => shop.events.length === 2, 'both deliveries');
    expect(shop.events.map((e) => e.source).sort()).toEqual(['/shop-a', '/shop-b']);
  });

  it('keeps publish order per key for an ordered subscription, through a failed attempt', async () => {
    ns = newPrefix();
    const seen: string[] = [];
    handle = await startApp(backend, ns, [], [ledger(seen)]);
    await handle.app.publish(
      [1, 2, 3].flatMap((n) => ['acct-7', 'acct-9'].map((subject) => ledgerEntry(subject, n))),
    );
    await waitFor(() => seen.length === 7, 'six deliveries and one retry');
    // The retry of acct-7's first entry comes before its second; acct-9 is not held up by it.
    expect(seen.filter((s) => s.startsWith('acct-7'))).toEqual([
      'acct-7:1@1',
      'acct-7:1@2',
      'acct-7:2@1',
      'acct-7:3@1',
    ]);
    expect(seen.filter((s) => s.startsWith('acct-9'))).toEqual(['acct-9:1@1', 'acct-9:2@1', 'acct-9:3@1']);
  });

  // The in-process transport has no slot to hand back: there a retry in place holds its slot.
  it.runIf(backend.name.startsWith('redis'))(
    'lets other work use the slot while an ordered delivery waits out its backoff',
    async () => {
      ns = newPrefix();
      const log: string[] = [];
      const other = { id: 'test.other', pattern: 'other.#', handler: async () => void log.push('other') };
      // One slot, and a backoff long enough to see what runs meanwhile.
      const slow = {
        slots: 1,
        random: () => 1,
        bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 400, maxDelayMs: 400 } },
      };
      handle = await startApp(backend, ns, [], [ledger(log), other], slow);
      await handle.app.publish(ledgerEntry('acct-7', 1));
      await waitFor(() => log.length === 1, 'the first attempt');
      await handle.app.publish(createEvent({ type: 'other.thing', source: '/other' }));
      await waitFor(() => log.length === 3, 'the retry');
      expect(log).toEqual(['acct-7:1@1', 'other', 'acct-7:1@2']);
    },
  );

  it('delivers to an HTTP subscriber with a signature it can verify', async () => {
    const { app } = await start();
    const hook = await subscriber(() => 204);
    server = hook.server;
    await app.bus.subscribe({ pattern: 'shop.order.*', target: { kind: 'http', url: hook.url } });
    const event = createEvent({ type: 'shop.order.created', source: '/shop', data: { id: 7 } });
    await app.publish([event, createEvent({ type: 'shop.refund.created', source: '/shop' })]);
    const [got] = await waitFor(() => (hook.received.length > 0 ? hook.received : undefined), 'delivery');
    expect(JSON.parse(got!.body)).toMatchObject({
      id: event.id,
      type: 'shop.order.created',
      data: { id: 7 },
    });
    expect(await verifyDelivery(SECRET, got!.signature, got!.body)).toBe(true);
    expect(await verifyDelivery('another-secret-0123456789', got!.signature, got!.body)).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(hook.received).toHaveLength(1);
  });

  it('a subscriber that keeps failing gets retries, then a DLQ entry that replays once it recovers', async () => {
    const { app } = await start();
    let status = 503;
    const hook = await subscriber(() => status);
    server = hook.server;
    const sub = await app.bus.subscribe({
      pattern: 'shop.#',
      target: { kind: 'http', url: hook.url },
      maxAttempts: 3,
    });
    const event = createEvent({ type: 'shop.order.created', source: '/shop' });
    await app.publish(event);
    const [entry] = await waitFor(async () => {
      const list = await app.store.listDlq({ limit: 10, subscriptionId: sub.id });
      return list.length > 0 ? list : undefined;
    }, 'DLQ entry');
    expect(hook.received).toHaveLength(3);
    expect(entry).toMatchObject({
      kind: 'delivery',
      attempts: 3,
      reason: 'retries exhausted',
      subscriptionId: sub.id,
    });
    expect(entry?.lastError).toMatch(/HTTP 503/);
    expect(await app.store.dlqSizes()).toMatchObject({ [sub.id]: 1 });

    status = 200;
    const replayed = await app.replayDlq(entry!.id);
    expect(replayed).toMatchObject({ kind: 'delivery', subscriptionId: sub.id });
    await waitFor(() => hook.received.length === 4, 'the replayed delivery');
    expect(JSON.parse(hook.received[3]!.body).id).toBe(event.id);
    expect(await app.store.getDlq(entry!.id)).toBeUndefined();
  });

  it('a 4xx answer is permanent: straight to the DLQ without retries', async () => {
    const { app } = await start();
    const hook = await subscriber(() => 410);
    server = hook.server;
    const sub = await app.bus.subscribe({
      pattern: 'shop.#',
      target: { kind: 'http', url: hook.url },
      maxAttempts: 5,
    });
    await app.publish(createEvent({ type: 'shop.order.created', source: '/shop' }));
    const [entry] = await waitFor(async () => {
      const list = await app.store.listDlq({ limit: 10, subscriptionId: sub.id });
      return list.length > 0 ? list : undefined;
    }, 'DLQ entry');
    expect(entry).toMatchObject({ attempts: 1, reason: 'rejected' });
    expect(hook.received).toHaveLength(1);
  });

  it('replaying a failed workflow from its events runs it again, to completion once fixed', async () => {
    const { app } = await start();
    switches.broken = true;
    const from = Date.now();
    const trigger = createEvent({ type: 'test.fragile', source: '/test' });
    await app.publish(trigger);
    const failed = await waitFor(
      () => recorder.ofType('orchestration.workflow.failed')[0],
      'workflow.failed',
    );
    const failedRun = (failed.data as { run_id: string }).run_id;

    switches.broken = false;
    const replay = await app.bus.replay({ from, types: ['test.fragile'] });
    expect(replay).toMatchObject({ events: 1, deliveries: 1 });
    const done = await waitFor(
      () => recorder.ofType('orchestration.workflow.completed')[0],
      'workflow.completed',
    );
    const data = done.data as { run_id: string; results: Record<string, number> };
    expect(data.run_id).not.toBe(failedRun);
    expect(data.results).toEqual({ first: 1, second: 2 });
    expect(done.correlationid).toBe(trigger.id);
    const run = await app.orchestrator.getRun(data.run_id);
    expect(run?.meta.replay_id).toBe(replay.replayId);

    // The same replay request again is idempotent per replay: a new replay id makes a new run.
    expect((await app.orchestrator.getRun(failedRun))?.status).toBe('failed');
  });

  it('a failed task in the DLQ replays as a fresh run with the same input', async () => {
    const { app } = await start();
    switches.broken = true;
    await app.publish(createEvent({ type: 'test.fragile', source: '/test' }));
    await waitFor(() => recorder.ofType('orchestration.workflow.failed')[0], 'workflow.failed');
    const [entry] = await app.store.listDlq({ limit: 10, kind: 'task' });
    switches.broken = false;
    const replayed = await app.replayDlq(entry!.id);
    expect(replayed?.runId).toBeDefined();
    await waitFor(
      async () => (await app.orchestrator.getRun(replayed!.runId!))?.status === 'completed',
      'replayed run',
    );
    expect(await app.store.listDlq({ limit: 10, kind: 'task' })).toEqual([]);
  });

  it('does not replay a task entry whose run went on to complete', async () => {
    const { app } = await start();
    switches.broken = false;
    await app.publish(createEvent({ type: 'test.fragile', source: '/test' }));
    const done = await waitFor(() => recorder.data('orchestration.workflow.completed')[0], 'the run to end');
    // As the transport writes one when it gives up on an invocation the sweeper then retried.
    const entry = await app.store.addDlq({
      kind: 'task',
      reason: 'delivery limit reached',
      attempts: 6,
      lastError: 'no answer',
      runId: String(done.run_id),
      task: 'second',
      createdAt: Date.now(),
    });
    await expect(app.replayDlq(entry.id)).rejects.toThrow(/is completed/);
    expect(await app.store.getDlq(entry.id)).toBeDefined();
    expect(recorder.ofType('orchestration.workflow.completed')).toHaveLength(1);
  });

  it('publishes an orchestration.metrics.snapshot with the queue and the invocation slots', async () => {
    const { app } = await start();
    const snapshot = await app.publishMetricsSnapshot();
    expect(snapshot.data).toMatchObject({
      task_queue: { pending: 0, running: 0 },
      worker_pool: { active_workers: 0, idle_workers: 10 },
    });
    await waitFor(() => recorder.ofType('orchestration.metrics.snapshot')[0], 'snapshot delivered');
  });
});
