import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  createEvent,
  createWaooaw,
  type DynamicWorkflow,
  defineWorkflow,
  fromIoredis,
  RedisStore,
  RedisTransport,
  type Waooaw,
} from '../src/index.js';
import { RedisMetrics } from '../src/observability/index.js';
import { RecordingMetrics } from './recording-metrics.js';
import { deleteKeys, measure, sleep, summary } from './stats.js';

export const FAN = 10;

/** 1 -> 10 -> 1 of no-op tasks. */
function fanWorkflow(): DynamicWorkflow {
  let wf: DynamicWorkflow = defineWorkflow({ name: 'fan', triggers: [{ type: 'bench.fan' }] }).task(
    'start',
    async () => 0,
  ) as never;
  const middle: string[] = [];
  for (let i = 0; i < FAN; i++) {
    middle.push(`work-${i}`);
    wf = wf.task(`work-${i}`, { dependsOn: ['start'] }, async () => i);
  }
  return wf.task('join', { dependsOn: middle }, async () => 'done');
}

/** A -> B -> C of no-op tasks, for latency. */
const chainWorkflow = defineWorkflow({ name: 'chain', triggers: [{ type: 'bench.chain' }] })
  .task('a', async () => 1)
  .task('b', { dependsOn: ['a'] }, async (ctx) => ctx.deps.a + 1)
  .task('c', { dependsOn: ['b'] }, async (ctx) => ctx.deps.b + 1);

interface Harness {
  app: Waooaw;
  metrics: RecordingMetrics;
  prefix: string;
  /** Every round trip: store, transport and metrics. */
  roundTrips(): number;
  metricsRoundTrips(): number;
  done: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * A waooaw app on the Redis at `url`, under a fresh short prefix (as short as a deployment's).
 * `record` keeps every latency observation for percentiles (the latency section only: the
 * throughput runs use the service's metrics as they are).
 */
async function startWaooaw(url: string, slots: number, record = false): Promise<Harness> {
  const prefix = `wb${randomBytes(4).toString('hex')}:`;
  const storeClient = new Redis(url);
  const transportClient = new Redis(url);
  const store = new RedisStore(fromIoredis(storeClient), { prefix });
  const transport = new RedisTransport({ redis: transportClient, prefix, concurrency: slots });
  // The metrics the service uses (cluster-wide, in Redis), recorded on the way for percentiles.
  const metricsClient = fromIoredis(storeClient, { closeClient: false });
  const redisMetrics = new RedisMetrics({ client: metricsClient, prefix });
  const metrics = new RecordingMetrics(redisMetrics);
  const done = new Map<string, number>();
  const app = createWaooaw({
    store,
    transport,
    workflows: [fanWorkflow(), chainWorkflow],
    metrics: record ? metrics : redisMetrics,
    slots,
    consumers: [
      {
        id: 'bench.results',
        pattern: 'orchestration.workflow.completed',
        handler: async (event) => {
          done.set(String(event.causationid), Date.now());
        },
      },
    ],
  });
  await app.start();
  return {
    app,
    metrics,
    prefix,
    done,
    roundTrips: () => store.traffic.roundTrips + transport.roundTrips + metricsClient.roundTrips,
    metricsRoundTrips: () => metricsClient.roundTrips,
    stop: async () => {
      await app.stop();
      await redisMetrics.close();
      await deleteKeys(storeClient, prefix);
      await store.close();
      transportClient.disconnect();
    },
  };
}

export interface Throughput {
  tasks: number;
  seconds: number;
  tasksPerSec: number;
  roundTripsPerTask: number;
  metricsRoundTripsPerTask: number;
  commandsPerTask: number;
  /** CPU microseconds per task: this process, and the Redis server. */
  nodeCpuPerTask: number;
  redisCpuPerTask: number;
}

/** Starts `runs` 1 -> 10 -> 1 runs at once and waits for all of them. */
export async function fanThroughput(
  url: string,
  slots: number,
  runs: number,
  admin: Redis,
): Promise<Throughput> {
  const h = await startWaooaw(url, slots);
  try {
    const events = Array.from({ length: runs }, () => createEvent({ type: 'bench.fan', source: '/bench' }));
    const rt0 = h.roundTrips();
    const m0 = h.metricsRoundTrips();
    const m = await measure(admin, async () => {
      for (let i = 0; i < events.length; i += 500) await h.app.publish(events.slice(i, i + 500));
      while (h.done.size < runs) await sleep(2);
    });
    const tasks = runs * (FAN + 2);
    return {
      tasks,
      seconds: m.seconds,
      tasksPerSec: tasks / m.seconds,
      roundTripsPerTask: (h.roundTrips() - rt0) / tasks,
      metricsRoundTripsPerTask: (h.metricsRoundTrips() - m0) / tasks,
      commandsPerTask: m.commands / tasks,
      nodeCpuPerTask: m.nodeUs / tasks,
      redisCpuPerTask: m.redisUs / tasks,
    };
  } finally {
    await h.stop();
  }
}

export interface Latency {
  runs: number;
  achievedRunsPerSec: number;
  eventToTask: ReturnType<typeof summary>;
  taskToEvent: ReturnType<typeof summary>;
  endToEnd: ReturnType<typeof summary>;
}

/**
 * Publishes chain triggers at a steady `rate` runs/s and measures latencies over `seconds`, after
 * `warmupSeconds` at the same rate (not measured, and drained first): a steady state, not the
 * ramp of a fresh process.
 */
export async function steadyLatency(
  url: string,
  slots: number,
  rate: number,
  seconds: number,
  warmupSeconds = 2,
): Promise<Latency> {
  const h = await startWaooaw(url, slots, true);
  const drive = async (duration: number) => {
    const total = Math.round(rate * duration);
    const before = h.done.size;
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      const batch = [];
      for (; sent < due; sent++) batch.push(createEvent({ type: 'bench.chain', source: '/bench' }));
      if (batch.length > 0) void h.app.publish(batch);
      await sleep(10);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const deadline = Date.now() + 30_000;
    while (h.done.size - before < total && Date.now() < deadline) await sleep(5);
    return { runs: h.done.size - before, achievedRunsPerSec: sent / elapsed };
  };
  try {
    await drive(warmupSeconds);
    for (const k of ['eventToTaskLatency', 'taskToEventLatency', 'endToEndLatency']) h.metrics.take(k);
    const measured = await drive(seconds);
    return {
      ...measured,
      eventToTask: summary(h.metrics.take('eventToTaskLatency')),
      taskToEvent: summary(h.metrics.take('taskToEventLatency')),
      endToEnd: summary(h.metrics.take('endToEndLatency')),
    };
  } finally {
    await h.stop();
  }
}

/** Events/s accepted by the bus: batches of 100, and many concurrent single-event publishers. */
export async function publishRate(
  url: string,
  events: number,
): Promise<{ batched: number; concurrent: number }> {
  const h = await startWaooaw(url, 10);
  try {
    const make = () => createEvent({ type: 'bench.noise', source: '/bench', data: { n: 1 } });
    let t0 = performance.now();
    for (let i = 0; i < events; i += 100) await h.app.publish(Array.from({ length: 100 }, make));
    const batched = events / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    const inflight = new Set<Promise<unknown>>();
    for (let i = 0; i < events; i++) {
      const p = h.app.publish(make()).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 200) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const concurrent = events / ((performance.now() - t0) / 1000);
    return { batched, concurrent };
  } finally {
    await h.stop();
  }
}
