/**
 * waooaw benchmark: prints figures (never asserts). Node + the Redis at REDIS_URL, BullMQ on the
 * same Redis in the same run as the baseline.
 *
 *   npm run bench                 # full run
 *   BENCH_SCALE=0.2 npm run bench # quicker, smaller figures
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

const runs = Math.round(300 * scale);
console.log(`\nThroughput: ${fmt(runs)} runs of a 1 -> ${FAN} -> 1 DAG of no-op tasks, all started at once`);
const results: Record<number, { ours: number; flow: number }> = {};
for (const slots of [10, 100]) {
  const ours = await fanThroughput(url, slots, runs, admin);
  const flow = await bullFlow(url, slots, runs, admin);
  const plain = await bullPlain(url, slots, runs * 11, admin);
  results[slots] = { ours: ours.tasksPerSec, flow: flow.jobsPerSec };
  console.log(`  ${slots} concurrent slots`);
  line('  waooaw tasks/s (with every lifecycle event published)', fmt(ours.tasksPerSec));
  line('  BullMQ FlowProducer (parent + 10 children) jobs/s', fmt(flow.jobsPerSec));
  line('  BullMQ plain no-op jobs/s', fmt(plain.jobsPerSec));
  line('  waooaw / BullMQ flow', `${(ours.tasksPerSec / flow.jobsPerSec).toFixed(2)}x`);
  line('  waooaw Redis round trips per task (client side, all)', ours.roundTripsPerTask.toFixed(2));
  line('  ... of which metrics (cluster-wide, in Redis)', ours.metricsRoundTripsPerTask.toFixed(3));
  line('  waooaw Redis commands per task (server side)', ours.commandsPerTask.toFixed(2));
  line(
    '  BullMQ Redis commands per job (flow / plain)',
    `${flow.commandsPerJob.toFixed(2)} / ${plain.commandsPerJob.toFixed(2)}`,
  );
}

const rate = 500;
const seconds = Math.max(2, Math.round(10 * scale));
const latency = await steadyLatency(url, 100, rate, seconds);
console.log(`\nLatency at a steady ${rate} runs/s for ${seconds} s (A -> B -> C, 100 slots)`);
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
