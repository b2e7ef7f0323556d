/**
 * A measurement, not waooaw: how fast the benchmark's 1 -> 10 -> 1 DAG runs on this machine when
 * one Lua call per batch of attempts does what waooaw does today in several calls per attempt:
 * complete the finished attempts, release their dependents, append every lifecycle event (the same
 * CloudEvent attributes and size), claim and lease the next attempts (priority queue, lease
 * deadline, state counters) and return them with their dependencies' results.
 *
 * Left out, so this is a ceiling: retries, timeouts enforced server-side, concurrency limits,
 * replay tokens, fan-out of lifecycle events to subscribers other than the run's end, spans and
 * metrics. Node still does per task what a handler call needs (a context with an abort signal and
 * a timeout timer, the handler, the result's JSON, an event id).
 *
 *   npx tsx bench/batch-sketch.ts      # prints tasks/s beside BullMQ's flow, same Redis, same run
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { bullFlow } from './bullmq-bench.js';
import { deleteKeys, fmt, measure, sleep } from './stats.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FAN = 10;
const lua = (name: string) => readFileSync(new URL(`./batch-sketch/${name}.lua`, import.meta.url), 'utf8');
const helpers = lua('events');

type Commands = {
  sketchCreate(prefix: string, ...args: (string | number)[]): Promise<number>;
  sketchStep(prefix: string, ...args: (string | number)[]): Promise<string[]>;
};

function connect(): Redis & Commands {
  const redis = new Redis(url);
  redis.defineCommand('sketchCreate', { numberOfKeys: 1, lua: `${helpers}\n${lua('create')}` });
  redis.defineCommand('sketchStep', { numberOfKeys: 1, lua: `${helpers}\n${lua('step')}` });
  return redis as Redis & Commands;
}

const handler = async (ctx: { deps: Record<string, number> }) => Object.keys(ctx.deps).length;

/** One lane: a batch call in flight at a time, `slots` attempts per batch. */
async function lane(redis: Commands, prefix: string, slots: number, done: { runs: number }, total: number) {
  let finished: string[] = [];
  let count = 0;
  while (done.runs < total) {
    const ids = Array.from({ length: slots }, () => randomUUID());
    const claimed = await redis.sketchStep(
      prefix,
      new Date().toISOString(),
      Date.now(),
      slots,
      FAN,
      count,
      ...finished,
      ...ids,
    );
    finished = [];
    count = 0;
    if (claimed.length === 0) {
      await sleep(1);
      continue;
    }
    const work: Promise<string[]>[] = [];
    for (let i = 0; i < claimed.length; i += 4) {
      const [kind, run, task, deps] = claimed.slice(i, i + 4) as [string, string, string, string];
      if (kind === 'd') {
        done.runs += 1;
        continue;
      }
      work.push(
        (async () => {
          const abort = new AbortController();
          const timer = setTimeout(() => abort.abort(), 300_000);
          try {
            const ctx = {
              deps: JSON.parse(deps) as Record<string, number>,
              runId: run,
              signal: abort.signal,
            };
            const result = await handler(ctx);
            return ['t', run, task, JSON.stringify(result), randomUUID()];
          } finally {
            clearTimeout(timer);
          }
        })(),
      );
    }
    for (const item of await Promise.all(work)) finished.push(...item);
    count = finished.length / 5;
  }
}

async function sketch(runs: number, lanes: number, slotsPerLane: number, admin: Redis) {
  const prefix = `bs${randomBytes(4).toString('hex')}:`;
  const clients = Array.from({ length: lanes }, connect);
  const first = clients[0]!;
  try {
    const m = await measure(admin, async () => {
      for (let i = 0; i < runs; i += 500) {
        const batch = Array.from({ length: Math.min(500, runs - i) }, (_, k) => [
          `run_${i + k}`,
          randomUUID(),
        ]);
        await first.sketchCreate(prefix, new Date().toISOString(), FAN, ...batch.flat());
      }
      const done = { runs: 0 };
      await Promise.all(clients.map((c) => lane(c, prefix, slotsPerLane, done, runs)));
    });
    const tasks = runs * (FAN + 2);
    return { tasksPerSec: tasks / m.seconds, nodeUs: m.nodeUs / tasks, redisUs: m.redisUs / tasks };
  } finally {
    await deleteKeys(admin, prefix);
    for (const c of clients) c.disconnect();
  }
}

const admin = new Redis(url);
const runs = Math.round(1000 * Number(process.env.BENCH_SCALE ?? 1));
console.log(`Batch sketch: ${fmt(runs)} runs of a 1 -> ${FAN} -> 1 DAG, Redis at ${url}\n`);
for (const [slots, lanes] of [
  [10, 2],
  [100, 4],
] as const) {
  await sketch(Math.ceil(runs / 5), lanes, slots / lanes, admin);
  await bullFlow(url, slots, Math.ceil(runs / 5), admin);
  const ours = await sketch(runs, lanes, slots / lanes, admin);
  const flow = await bullFlow(url, slots, runs, admin);
  console.log(
    `  ${slots} slots (${lanes} batches in flight): ${fmt(ours.tasksPerSec)} tasks/s, ` +
      `CPU per task Node ${fmt(ours.nodeUs)} µs / Redis ${fmt(ours.redisUs)} µs; ` +
      `BullMQ flow ${fmt(flow.jobsPerSec)} jobs/s (${(ours.tasksPerSec / flow.jobsPerSec).toFixed(2)}x)`,
  );
}
admin.disconnect();
process.exit(0);
