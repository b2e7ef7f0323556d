import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEvent, defineWorkflow, fromIoredis, type RedisClientAdapter } from '../../src/index.js';
import { createMetrics } from '../../src/observability/create-metrics.js';
import { metricsFlush } from '../../src/observability/lua/generated/index.js';
import { metricsKeys } from '../../src/observability/metrics-keys.js';
import { RedisMetrics } from '../../src/observability/redis-metrics.js';
import { type AppHandle, redis, startApp } from '../integration/backends.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const clients: RedisClientAdapter[] = [];
const namespaces: string[] = [];

function client(): RedisClientAdapter {
  const c = fromIoredis(new Redis(REDIS_URL, { maxRetriesPerRequest: 3 }));
  clients.push(c);
  return c;
}

function ns(): string {
  const n = newPrefix();
  namespaces.push(n);
  return n;
}

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const n of namespaces) await redis.cleanup(n);
});

describe('RedisMetrics', () => {
  it('gives two replicas on one prefix the same cluster-wide counters and histograms', async () => {
    const prefix = ns();
    const a = new RedisMetrics({ client: client(), prefix });
    const b = new RedisMetrics({ client: client(), prefix });
    a.inc('runs', { workflow: 'w', status: 'completed' });
    a.inc('runs', { workflow: 'w', status: 'completed' }, 2);
    b.inc('runs', { workflow: 'w', status: 'completed' });
    b.inc('runs', { workflow: 'w', status: 'failed' });
    a.observe('taskDuration', 0.02, { workflow: 'w', task: 't' });
    b.observe('taskDuration', 3, { workflow: 'w', task: 't' });
    b.observe('deliveryLatency', 0.5);

    // Replicas agree once both buffers are written (at most one flush interval apart).
    await Promise.all([a.flush(), b.flush()]);
    const [fromA, fromB] = await Promise.all([a.snapshot(), b.snapshot()]);
    const sorted = (s: typeof fromA) => ({
      counters: [...s.counters].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      histograms: [...s.histograms].sort((x, y) => x.name.localeCompare(y.name)),
    });
    expect(sorted(fromA)).toEqual(sorted(fromB));
    expect(fromA.counters).toContainEqual({
      name: 'waooaw_runs_total',
      labels: { workflow: 'w', status: 'completed' },
      value: 4,
    });
    const duration = fromA.histograms.find((h) => h.name === 'waooaw_task_duration_seconds')!;
    expect(duration).toMatchObject({ count: 2, sum: 3.02, labels: { workflow: 'w', task: 't' } });
    expect(duration.counts.reduce((x, y) => x + y, 0)).toBe(2);
  });

  it('buffers updates and writes them in one round trip, on a count or on a timer', async () => {
    const prefix = ns();
    const adapter = client();
    const before = adapter.roundTrips;
    const m = new RedisMetrics({ client: adapter, prefix, flushAfterUpdates: 5, flushIntervalMs: 30 });
    for (let i = 0; i < 4; i++) m.inc('eventsPublished', { type: 'x' });
    expect(adapter.roundTrips).toBe(before); // nothing sent while recording
    m.inc('eventsPublished', { type: 'x' }); // the fifth: flushes now
    await waitFor(() => m.flushes === 1, 'count-triggered flush');
    m.inc('eventsPublished', { type: 'x' });
    await waitFor(() => m.flushes === 2, 'timer-triggered flush');
    expect(adapter.roundTrips - before).toBe(2);
    const reader = new RedisMetrics({ client: client(), prefix });
    expect((await reader.snapshot()).counters).toEqual([
      { name: 'waooaw_events_published_total', labels: { type: 'x' }, value: 6 },
    ]);
    await m.close();
  });

  it('keeps the updates of a failed flush for the next one', async () => {
    const prefix = ns();
    const real = client();
    let fail = true;
    const errors: unknown[] = [];
    const flaky = {
      pipeline: real.pipeline.bind(real),
      evalScript: (...args: Parameters<RedisClientAdapter['evalScript']>) => {
        if (fail) return Promise.reject(new Error('connection lost'));
        return real.evalScript(...args);
      },
    };
    const m = new RedisMetrics({
      client: flaky,
      prefix,
      flushIntervalMs: 10_000,
      onError: (e) => errors.push(e),
    });
    m.inc('dlqEntries', { kind: 'task' }, 2);
    await m.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    m.inc('dlqEntries', { kind: 'task' });
    expect((await m.snapshot()).counters).toEqual([
      { name: 'waooaw_dlq_entries_total', labels: { kind: 'task' }, value: 3 },
    ]);
    await m.close();
  });

  it('writes nothing of a flush that carries a value Redis cannot add', async () => {
    const prefix = ns();
    const adapter = client();
    const keys = metricsKeys(prefix);
    // As a buffer holding a NaN would send it: the first cell fine, the second not.
    await expect(
      adapter.evalScript(
        metricsFlush,
        [keys.counters, keys.histograms, keys.slots, `${keys.flushedBase}t1`],
        [2, 'waooaw_runs_total["w","completed"]', 1, 'waooaw_runs_total["w","failed"]', 'NaN', 0, 0],
      ),
    ).rejects.toThrow('not a finite number');
    expect(await adapter.pipeline([['HGETALL', keys.counters]])).toEqual([{}]);
  });

  it('adds a flush sent again (its reply lost, the client resends it) only once', async () => {
    const prefix = ns();
    const adapter = client();
    const keys = metricsKeys(prefix);
    const flush = () =>
      adapter.evalScript(
        metricsFlush,
        [keys.counters, keys.histograms, keys.slots, `${keys.flushedBase}same-token`],
        [1, 'waooaw_runs_total["w","completed"]', 1, 0, 0],
      );
    await flush();
    await flush();
    const reader = new RedisMetrics({ client: client(), prefix });
    expect((await reader.snapshot()).counters).toEqual([
      { name: 'waooaw_runs_total', labels: { workflow: 'w', status: 'completed' }, value: 1 },
    ]);
    await reader.close();
  });

  it('sums the invocation slots of live processes and forgets those whose heartbeat stopped', async () => {
    const prefix = ns();
    let now = 1_000_000;
    const clock = () => now;
    const a = new RedisMetrics({ client: client(), prefix, clock, slotsTtlMs: 30_000 });
    const b = new RedisMetrics({ client: client(), prefix, clock, slotsTtlMs: 30_000 });
    a.reportSlots('a', 4);
    b.reportSlots('b', 6);
    await b.flush(); // a report is written by the next flush (at once, in the background)
    expect(await a.invocationSlots()).toBe(10);
    await b.close(); // withdraws
    expect(await a.invocationSlots()).toBe(4);
    b.reportSlots('b', 6);
    await b.flush();
    now += 31_000; // neither heartbeat refreshed (the timers run every ttl/3 on the real clock)
    expect(await b.invocationSlots()).toBe(0);
    const raw = new Redis(REDIS_URL);
    expect(await raw.hlen(metricsKeys(prefix).slots)).toBe(0); // stale reports removed
    raw.disconnect();
    await a.close();
    await b.close();
  });
});

const steady = defineWorkflow({ name: 'steady', triggers: [{ type: 'test.steady' }] })
  .task('one', async () => 1)
  .task('two', { dependsOn: ['one'] }, async () => 2)
  .task('three', { dependsOn: ['one'] }, async () => 3)
  .task('four', { dependsOn: ['two', 'three'] }, async () => 4);

describe('what metrics cost on Redis', () => {
  let handle: AppHandle | undefined;
  const prefix = newPrefix();
  afterEach(async () => {
    await handle?.stop();
    await redis.cleanup(prefix);
  });

  it('adds far less than one round trip per task at steady load', async () => {
    const adapter = client();
    const metrics = createMetrics({ redis: adapter, prefix }) as RedisMetrics;
    const recorder = new EventRecorder();
    handle = await startApp(redis, prefix, [steady], [recorder.consumer('orchestration.workflow.*')], {
      metrics,
    });
    const runs = 100;
    const started = Date.now();
    const before = adapter.roundTrips;
    const recordedBefore = metrics.recorded;
    // Steady load: a run every 10 ms for about a second.
    for (let i = 0; i < runs; i++) {
      await handle.app.publish(createEvent({ type: 'test.steady', source: '/test', data: { i } }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitFor(
      () => recorder.ofType('orchestration.workflow.completed').length === runs,
      'all runs',
      30_000,
    );
    await metrics.flush();
    const tasks = runs * 4;
    const roundTrips = adapter.roundTrips - before;
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `metrics cost: ${roundTrips} round trips for ${tasks} tasks in ${seconds.toFixed(1)} s = ${(roundTrips / tasks).toFixed(4)} per task (${((metrics.recorded - recordedBefore) / tasks).toFixed(1)} updates per task)`,
    );
    expect(roundTrips / tasks).toBeLessThan(0.1);
    const snapshot = await metrics.snapshot();
    expect(snapshot.counters).toContainEqual({
      name: 'waooaw_runs_total',
      labels: { workflow: 'steady', status: 'completed' },
      value: runs,
    });
    const outcomes = snapshot.counters.filter((c) => c.name === 'waooaw_task_outcomes_total');
    expect(outcomes.reduce((sum, c) => sum + c.value, 0)).toBe(tasks);
  });
});
