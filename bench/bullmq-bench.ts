import { randomBytes } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeys, type Measured, measure, sleep } from './stats.js';

export interface BullThroughput {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  commandsPerJob: number;
  /** CPU microseconds per job: this process, and the Redis server. */
  nodeCpuPerJob: number;
  redisCpuPerJob: number;
}

function perJob(jobs: number, m: Measured<unknown>): BullThroughput {
  return {
    jobs,
    seconds: m.seconds,
    jobsPerSec: jobs / m.seconds,
    commandsPerJob: m.commands / jobs,
    nodeCpuPerJob: m.nodeUs / jobs,
    redisCpuPerJob: m.redisUs / jobs,
  };
}

/**
 * A BullMQ producer and worker on fresh connections under a fresh prefix. BullMQ does not close
 * connections it was given, so `close` does (and deletes the prefix's keys).
 */
function bullSetup(url: string) {
  const connections: Redis[] = [];
  const connection = () => {
    const redis = new Redis(url, { maxRetriesPerRequest: null });
    connections.push(redis);
    return redis;
  };
  const prefix = `bq${randomBytes(4).toString('hex')}`;
  return {
    prefix,
    connection,
    async close(admin: Redis, ...closables: { close(): Promise<void> }[]) {
      for (const c of closables) await c.close();
      for (const redis of connections) redis.disconnect();
      await deleteKeys(admin, prefix);
    },
  };
}

/** BullMQ's equivalent of a fan-in: a FlowProducer parent with 10 no-op children, `runs` times. */
export async function bullFlow(
  url: string,
  concurrency: number,
  runs: number,
  admin: Redis,
): Promise<BullThroughput> {
  const { prefix, connection, close } = bullSetup(url);
  const queueName = 'fan';
  const flows = new FlowProducer({ connection: connection(), prefix });
  let parents = 0;
  const worker = new Worker(queueName, async () => 0, {
    connection: connection(),
    prefix,
    concurrency,
    autorun: false,
  });
  worker.on('completed', (job) => {
    if (job.name === 'parent') parents++;
  });
  try {
    const m = await measure(admin, async () => {
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
    });
    return perJob(runs * 11, m);
  } finally {
    await close(admin, worker, flows);
  }
}

/** Plain no-op jobs: addBulk, then a worker drains them. */
export async function bullPlain(
  url: string,
  concurrency: number,
  jobs: number,
  admin: Redis,
): Promise<BullThroughput> {
  const { prefix, connection, close } = bullSetup(url);
  const queue = new Queue('plain', { connection: connection(), prefix });
  let completed = 0;
  const worker = new Worker('plain', async () => 0, {
    connection: connection(),
    prefix,
    concurrency,
    autorun: false,
  });
  worker.on('completed', () => {
    completed++;
  });
  try {
    const m = await measure(admin, async () => {
      for (let i = 0; i < jobs; i += 1000) {
        await queue.addBulk(
          Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({ name: 'noop', data: { k } })),
        );
      }
      void worker.run();
      while (completed < jobs) await sleep(2);
    });
    return perJob(jobs, m);
  } finally {
    await close(admin, worker, queue);
  }
}
