/**
 * waooaw benchmark: prints figures (never asserts). Node + the Redis at REDIS_URL, BullMQ on the
 * same Redis in the same run as the baseline.
 *
 *   npm run bench                 # full run
 *   BENCH_SCALE=0.2 npm run bench # quicker, smaller figures
 *   BENCH_ROUNDS=5 npm run bench  # more throughput rounds (median reported)
 */
import { Redis } from 'ioredis';
import { bullFlow, bullPlain } from './bullmq-bench.js';
import { fmt, ms } from './stats.js';
import { FAN, fanThroughput, publishRate, steadyLatency } from './waooaw-bench.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const scale = Number(process.env.BENCH_SCALE ?? 1);
const admin = new Redis(url);

function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(58)} ${value}`);
}

console.log(`waooaw benchmark — Node ${process.version}, Redis at ${url}, scale ${scale}\n`);

const events = Math.round(20_000 * scale);
const publish = await publishRate(url, events);
console.log(`Event bus (${fmt(events)} events, no subscribers)`);
line('events/s published, batches of 100', fmt(publish.batched));
line('events/s published, 200 concurrent single-event publishers', fmt(publish.concurrent));

const runs = Math.round(1000 * scale);
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `\nThroughput: ${fmt(runs)} runs of a 1 -> ${FAN} -> 1 DAG of no-op tasks, all started at once` +
    `\n(after a warm-up of both systems; median of ${rounds} interleaved rounds, ratio range in brackets)`,
);
for (const slots of [10, 100]) {
  // Warm-up: JIT, connections, Redis Functions loaded; not reported.
  await fanThroughput(url, slots, Math.ceil(runs / 5), admin);
  await bullFlow(url, slots, Math.ceil(runs / 5), admin);
  const ours: Awaited<ReturnType<typeof fanThroughput>>[] = [];
  const flow: Awaited<ReturnType<typeof bullFlow>>[] = [];
  const plain: Awaited<ReturnType<typeof bullPlain>>[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(await fanThroughput(url, slots, runs, admin));
    flow.push(await bullFlow(url, slots, runs, admin));
    plain.push(await bullPlain(url, slots, runs * 11, admin));
  }
  const ratios = ours.map((o, i) => o.tasksPerSec / flow[i]!.jobsPerSec);
  const oursRate = median(ours.map((o) => o.tasksPerSec));
  const flowRate = median(flow.map((f) => f.jobsPerSec));
  const last = ours.at(-1)!;
  console.log(`  ${slots} concurrent slots`);
  line('  waooaw tasks/s (with every lifecycle event published)', fmt(oursRate));
  line('  BullMQ FlowProducer (parent + 10 children) jobs/s', fmt(flowRate));
  line('  BullMQ plain no-op jobs/s', fmt(median(plain.map((p) => p.jobsPerSec))));
  line(
    '  waooaw / BullMQ flow',
    `${median(ratios).toFixed(2)}x [${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}]`,
  );
  line('  waooaw Redis round trips per task (client side, all)', last.roundTripsPerTask.toFixed(2));
  line('  ... of which metrics (cluster-wide, in Redis)', last.metricsRoundTripsPerTask.toFixed(3));
  line('  waooaw Redis commands per task (server side)', last.commandsPerTask.toFixed(2));
  line(
    '  BullMQ Redis commands per job (flow / plain)',
    `${flow.at(-1)!.commandsPerJob.toFixed(2)} / ${plain.at(-1)!.commandsPerJob.toFixed(2)}`,
  );
  const us = (values: number[]) => `${fmt(median(values))} µs`;
  line(
    '  CPU per task, Node / Redis (waooaw)',
    `${us(ours.map((o) => o.nodeCpuPerTask))} / ${us(ours.map((o) => o.redisCpuPerTask))}`,
  );
  line(
    '  CPU per job, Node / Redis (BullMQ flow)',
    `${us(flow.map((f) => f.nodeCpuPerJob))} / ${us(flow.map((f) => f.redisCpuPerJob))}`,
  );
}

const rate = 500;
const seconds = Math.max(2, Math.round(10 * scale));
const latency = await steadyLatency(url, 100, rate, seconds);
console.log(
  `\nLatency at a steady ${rate} runs/s for ${seconds} s, after 2 s of warm-up (A -> B -> C, 100 slots)`,
);
line(
  'runs completed / achieved publish rate',
  `${fmt(latency.runs)} / ${fmt(latency.achievedRunsPerSec)} runs/s`,
);
for (const [label, s] of [
  ['event -> first task started', latency.eventToTask],
  ['task completed -> result event published', latency.taskToEvent],
  ['end to end (trigger event -> run completed)', latency.endToEnd],
] as const) {
  line(label, `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}`);
}

admin.disconnect();
process.exit(0);
