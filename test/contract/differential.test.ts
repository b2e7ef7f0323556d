import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Phase, Store, TaskSpec } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { fromIoredis, RedisStore } from '../../src/store/redis/index.js';
import { T0 } from './fixtures.js';
import { redisNamespace } from './redis-namespace.js';

/**
 * Differential check: random workflows driven by random operations must get the same answers, the
 * same run views and the same stats from the memory store and from Redis (with shards), replays
 * of calls sent again with their token included.
 */
type Op = {
  kind: 'lease' | 'complete' | 'fail' | 'retry' | 'expire' | 'cancel';
  task: number;
  attempt: number;
  phase: Phase;
  /** A few tokens only, so that calls often repeat one: replays must agree too. */
  token: string;
};

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('lease', 'lease', 'complete', 'complete', 'fail', 'retry', 'expire', 'cancel'),
  task: fc.nat(5),
  attempt: fc.integer({ min: 1, max: 3 }),
  phase: fc.constantFrom<Phase>('execute', 'execute', 'execute', 'compensate'),
  token: fc.constantFrom('', 'k1', 'k2'),
});

const workflowArb = fc.integer({ min: 2, max: 6 }).chain((n) =>
  fc
    .tuple(
      fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 1, max: 2 }), { minLength: n, maxLength: n }),
    )
    .map(([edges, compensable, attempts]): TaskSpec[] =>
      Array.from({ length: n }, (_, i) => ({
        name: `t${i}`,
        dependsOn: Array.from({ length: i }, (_, j) => j)
          .filter((j) => edges[i]![j])
          .map((j) => `t${j}`),
        priority: (['CRITICAL', 'HIGH', 'NORMAL', 'LOW'] as const)[i % 4]!,
        maxAttempts: attempts[i]!,
        compensationMaxAttempts: attempts[(i + 1) % n]!,
        compensable: compensable[i]!,
        topoIndex: i,
      })),
    ),
);

async function apply(store: Store, runId: string, tasks: TaskSpec[], op: Op, step: number): Promise<unknown> {
  const task = tasks[op.task % tasks.length]!.name;
  const now = T0 + step * 1000;
  const base = { runId, task, attempt: op.attempt, phase: op.phase, now, token: op.token };
  switch (op.kind) {
    case 'lease':
      return store.leaseAttempt({ ...base, workerId: 'w', leaseMs: 2500 });
    case 'complete':
      return store.completeAttempt({ ...base, result: { step } });
    case 'fail':
      return store.failAttempt({ ...base, error: `e${step}` });
    case 'retry':
      return store.failAttempt({ ...base, error: `e${step}`, retryAt: now + 500 });
    case 'expire':
      return store.expireLeases({ now, limit: 100, queuedTimeoutMs: 4000, token: op.token });
    case 'cancel':
      return store.cancelRun({ runId, now, token: op.token });
  }
}

describe('memory and Redis stores agree', () => {
  const ns = redisNamespace();
  afterAll(() => ns.cleanup());

  it('on random workflows and operation sequences', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(workflowArb, fc.array(opArb, { maxLength: 40 }), async (tasks, ops) => {
        const memory = new MemoryStore();
        const redis = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), {
          prefix: `${ns.prefix}${++n}:`,
          shards: 3,
        });
        const runId = `run-${n}`;
        const create = {
          runId,
          workflow: 'wf',
          input: null,
          tasks,
          meta: {},
          now: T0,
          queuedTimeoutMs: 4000,
        };
        expect(await redis.createRun(create)).toEqual(await memory.createRun(create));
        for (const [step, op] of ops.entries()) {
          const [m, r] = [
            await apply(memory, runId, tasks, op, step + 1),
            await apply(redis, runId, tasks, op, step + 1),
          ];
          expect(r, `step ${step} ${JSON.stringify(op)}`).toEqual(m);
        }
        expect(await redis.getRun(runId)).toEqual(await memory.getRun(runId));
        expect(await redis.queueStats()).toEqual(await memory.queueStats());
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 200) },
    );
  });
});
