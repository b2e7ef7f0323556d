import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeys, MEASUREMENT_COMMANDS, redisCommandCount, sleep, startCpuMeter } from './stats.js';

const connection = (url: string) => new Redis(url, { maxRetriesPerRequest: null });

export interface BullThroughput {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  commandsPerJob: number;
  /** CPU microseconds per job: this process, and the Redis server. */
  nodeCpuPerJob: number;
  redisCpuPerJob: number;
}

/** BullMQ's equivalent of a fan-in: a FlowProducer parent with 10 no-op children, `runs` times. */
export async function bullFlow(
  url: string,
  concurrency: number,
  runs: number,
  admin: Redis,
): Promise<BullThroughput> {
  const prefix = `bq${randomBytes(4).toString('hex')}`;
  const queueName = 'fan';
  const conn = connection(url);
  const flows = new FlowProducer({ connection: conn, prefix });
  let parents = 0;
  const worker = new Worker(queueName, async () => 0, {
    connection: connection(url),
    prefix,
    concurrency,
    autorun: false,
  });
  worker.on('completed', (job) => {
    if (job.name === 'parent') parents++;
  });
  try {
    const c0 = await redisCommandCount(admin);
    const cpu = await startCpuMeter(admin);
    const t0 = performance.now();
    const adds = [];
    for (let r = 0; r < runs; r++) {
      adds.push(
        flows.add({
          name: 'parent',
          queueName,
          children: Array.from({ length: 10 }, (_, i) => ({ name: 'child', queueName, data: { i } })),
        }),
      );
    }
    await Promise.all(adds);
    void worker.run();
    while (parents < runs) await sleep(2);
    const seconds = (performance.now() - t0) / 1000;
    const used = await cpu();
    const jobs = runs * 11;
    return {
      jobs,
      seconds,
      jobsPerSec: jobs / seconds,
      commandsPerJob: ((await redisCommandCount(admin)) - c0 - MEASUREMENT_COMMANDS) / jobs,
      nodeCpuPerJob: used.nodeUs / jobs,
      redisCpuPerJob: used.redisUs / jobs,
    };
  } finally {
    await worker.close();
    await flows.close();
    await deleteKeys(admin, prefix);
    conn.disconnect();
  }
}

/** Plain no-op jobs: addBulk, then a worker drains them. */
export async function bullPlain(
  url: string,
  concurrency: number,
  jobs: number,
  admin: Redis,
): Promise<BullThroughput> {
  const prefix = `bq${randomBytes(4).toString('hex')}`;
  const queue = new Queue('plain', { connection: connection(url), prefix });
  let completed = 0;
  const worker = new Worker('plain', async () => 0, {
    connection: connection(url),
    prefix,
    concurrency,
    autorun: false,
  });
  worker.on('completed', () => {
    completed++;
  });
  try {
    const c0 = await redisCommandCount(admin);
    const cpu = await startCpuMeter(admin);
    const t0 = performance.now();
    for (let i = 0; i < jobs; i += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({ name: 'noop', data: { k } })),
      );
    }
    void worker.run();
    while (completed < jobs) await sleep(2);
    const seconds = (performance.now() - t0) / 1000;
    const used = await cpu();
    return {
      jobs,
      seconds,
      jobsPerSec: jobs / seconds,
      commandsPerJob: ((await redisCommandCount(admin)) - c0 - MEASUREMENT_COMMANDS) / jobs,
      nodeCpuPerJob: used.nodeUs / jobs,
      redisCpuPerJob: used.redisUs / jobs,
    };
  } finally {
    await worker.close();
    await queue.close();
    await deleteKeys(admin, prefix);
  }
}
