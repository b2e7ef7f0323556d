import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type InvokeHandler,
  RedisTransport,
  type RedisTransportOptions,
  TransportScriptError,
  transportKeys,
} from '../../src/transport/index.js';
import * as lua from '../../src/transport/redis/lua/generated/index.js';
import { ScriptRunner } from '../../src/transport/redis/script-runner.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';
import { gate, sleep, waitFor } from '../support/wait.js';
import { type Backend, type ContractOptions, transportContract } from './contract.js';
import { envelope, nameOf } from './helpers/invocations.js';
import { connect } from './helpers/redis.js';

/** Transports sharing one fresh prefix; teardown stops them and deletes that prefix's keys. */
function redisBackend(): Backend & {
  redis: Redis;
  prefix: string;
  makeRedis(options?: Partial<RedisTransportOptions>): RedisTransport;
} {
  const redis = connect();
  const prefix = newPrefix();
  const made: RedisTransport[] = [];
  const makeRedis = (options: Partial<RedisTransportOptions> = {}) => {
    const transport = new RedisTransport({
      redis,
      prefix,
      retryDelayMs: () => 10,
      idleWaitMs: 200,
      ...options,
    });
    made.push(transport);
    return transport;
  };
  return {
    redis,
    prefix,
    makeRedis,
    make(options: ContractOptions = {}) {
      const transport = makeRedis(options);
      return { transport, depth: () => transport.stats() };
    },
    async teardown() {
      await Promise.all(made.map((t) => Promise.race([t.stop(), sleep(2_000)])));
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}

transportContract('redis', redisBackend);

describe('RedisTransport', () => {
  let backend: ReturnType<typeof redisBackend>;
  beforeEach(() => {
    backend = redisBackend();
  });
  afterEach(() => backend.teardown());

  it('answers a claim sent again with its token with the same items, not more', async () => {
    const transport = backend.makeRedis();
    await transport.enqueue(Array.from({ length: 6 }, (_, i) => envelope(`t-${i}`)));
    const k = transportKeys(backend.prefix);
    const keys = [
      k.ready,
      k.delayed,
      k.inflight,
      k.payload,
      k.meta,
      k.running,
      k.deliveries,
      k.stats,
      k.wake,
    ];
    // What a dispatcher sends; ioredis sends it again, byte for byte, after a dropped connection.
    const claim = (token: string, visibilityMs = 30_000) =>
      backend.redis.eval(lua.claim.lua, keys.length, ...keys, k.base, 2, visibilityMs, 10, token) as Promise<
        unknown[]
      >;
    const taken = (reply: unknown[]) => reply.filter((_, i) => i % 3 === 1);
    const first = await claim('d1.1');
    expect(taken(first)).toHaveLength(2);
    // The same items (its wait hint aside: 0, claim again soon).
    expect((await claim('d1.1')).slice(1)).toEqual(first.slice(1));
    expect(await transport.stats()).toMatchObject({ queued: 4, inFlight: 2 });
    // Another claim takes the next ones.
    const next = await claim('d1.2');
    expect(taken(next)).not.toEqual(taken(first));
    expect(await transport.stats()).toMatchObject({ queued: 2, inFlight: 4 });
    // Items whose deadline passed and that a peer claimed since are no longer this claim's.
    const short = await claim('d1.3', 50);
    await sleep(80);
    const peer = await claim('d2.1');
    expect(taken(peer)).toEqual(taken(short));
    expect(taken(await claim('d1.3', 50))).toEqual([]);
  });

  it('enqueues a batch in one round trip', async () => {
    const transport = backend.makeRedis();
    const before = transport.roundTrips;
    await transport.enqueue(Array.from({ length: 50 }, (_, i) => envelope(`t-${i}`, { dedupId: `d-${i}` })));
    expect(transport.roundTrips - before).toBe(1);
    expect(await transport.stats()).toMatchObject({
      queued: 50,
      byPriority: { CRITICAL: 0, HIGH: 0, NORMAL: 50, LOW: 0 },
      delayed: 0,
      inFlight: 0,
    });
  });

  it('keeps delayed items out of reach until due', async () => {
    const transport = backend.makeRedis();
    await transport.enqueue([envelope('later', { delayMs: 400, priority: 'CRITICAL' }), envelope('now')]);
    expect(await transport.stats()).toMatchObject({ queued: 1, delayed: 1 });
    const seen: string[] = [];
    await transport.start(async (inv) => {
      seen.push(nameOf(inv));
      return { status: 'ack' };
    });
    await waitFor(() => seen.length === 1);
    expect(await transport.stats()).toMatchObject({ delayed: 1 });
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['now', 'later']);
  });

  it('shares work between two dispatchers: each invocation delivered exactly once, flow limits global', async () => {
    const one = backend.makeRedis({ concurrency: 10 });
    const two = backend.makeRedis({ concurrency: 10 });
    const deliveries = new Map<string, number>();
    const byTransport = [0, 0];
    const flowOf = (i: number) => `k-${i % 7}`;
    const running = new Map<string, number>();
    let peakPerFlowKey = 0;
    const handler = (index: number) => async (inv: Parameters<InvokeHandler>[0]) => {
      const key = flowOf(Number(nameOf(inv).slice(2)));
      running.set(key, (running.get(key) ?? 0) + 1);
      peakPerFlowKey = Math.max(peakPerFlowKey, running.get(key)!);
      deliveries.set(nameOf(inv), (deliveries.get(nameOf(inv)) ?? 0) + 1);
      byTransport[index]! += 1;
      await sleep(2);
      running.set(key, running.get(key)! - 1);
      return { status: 'ack' } as const;
    };
    await one.start(handler(0));
    await two.start(handler(1));
    const names = Array.from({ length: 200 }, (_, i) => `t-${i}`);
    for (let i = 0; i < 200; i += 50) {
      await one.enqueue(
        names.slice(i, i + 50).map((n, j) => envelope(n, { flowKey: flowOf(i + j), flowLimit: 3 })),
      );
    }
    await waitFor(async () => {
      const s = await one.stats();
      return deliveries.size === 200 && s.queued + s.delayed + s.inFlight === 0;
    }, 'every invocation delivered once and the queues empty');
    expect([...deliveries.values()].every((n) => n === 1)).toBe(true);
    expect(byTransport[0]! + byTransport[1]!).toBe(200);
    expect(byTransport[0]).toBeGreaterThan(0);
    expect(byTransport[1]).toBeGreaterThan(0);
    // The flow limit holds across processes: it lives in Redis, not in one dispatcher.
    expect(peakPerFlowKey).toBeLessThanOrEqual(3);
    // Every flow slot was given back and nothing is left parked.
    expect(await backend.redis.exists(`${backend.prefix}{transport}:running`)).toBe(0);
    expect((await one.stats()).parked).toBe(0);
  });

  it('redelivers an invocation whose dispatcher never acknowledged it, once its deadline passed', async () => {
    const hang = gate();
    // A dispatcher that stops pushing its deadline back, as a dead one does.
    const crashed = backend.makeRedis({ concurrency: 1, visibilityMs: 150, maxHoldMs: 0 });
    const taken: string[] = [];
    await crashed.start(async (inv) => {
      taken.push(nameOf(inv));
      await hang.opened;
      return { status: 'ack' };
    });
    await crashed.enqueue([envelope('job', { flowKey: 'run-1', dedupId: 'job-1' })]);
    await waitFor(() => taken.length === 1);

    const survivor = backend.makeRedis({ concurrency: 1, visibilityMs: 150 });
    const redelivered: string[] = [];
    await survivor.start(async (inv) => {
      redelivered.push(nameOf(inv));
      return { status: 'ack' };
    });
    await waitFor(() => redelivered.length === 1);
    expect(redelivered).toEqual(['job']);
    await waitFor(async () => (await survivor.stats()).inFlight === 0);
    expect(await survivor.stats()).toMatchObject({ queued: 0, redelivered: 1 });

    // The stale process finishes late: its ack is harmless and leaves counters balanced.
    hang.open();
    await crashed.stop();
    expect(await backend.redis.exists(`${backend.prefix}{transport}:running`)).toBe(0);
    expect(await backend.redis.exists(`${backend.prefix}{transport}:dedup:job-1`)).toBe(0);
  });

  it('keeps an invocation that runs past the visibility window to itself, and its flow slot', async () => {
    // Renewed every third of the window: only a stall of two thirds of it (0.67 s) could let a
    // deadline pass, which a busy test machine does not come near.
    const options = { concurrency: 2, visibilityMs: 1_000 };
    const one = backend.makeRedis(options);
    const two = backend.makeRedis(options);
    const started: string[] = [];
    let running = 0;
    let peak = 0;
    const handler = async (inv: Parameters<Parameters<typeof one.start>[0]>[0]) => {
      started.push(nameOf(inv));
      running += 1;
      peak = Math.max(peak, running);
      // Two and a half visibility windows: the deadline is pushed back meanwhile.
      await sleep(2_500);
      running -= 1;
      return { status: 'ack' as const };
    };
    await one.start(handler);
    await two.start(handler);
    await one.enqueue([
      envelope('long-1', { flowKey: 'tenant', flowLimit: 1 }),
      envelope('long-2', { flowKey: 'tenant', flowLimit: 1 }),
    ]);
    await waitFor(() => started.length === 2, 'both to run, one after the other', 10_000);
    await waitFor(() => running === 0);
    // Each ran once, never both at once, and nothing was delivered again.
    expect(started).toEqual(['long-1', 'long-2']);
    expect(peak).toBe(1);
    expect(await one.stats()).toMatchObject({ redelivered: 0, inFlight: 0, queued: 0 });
    await two.stop();
  });

  it('still runs items an earlier release parked in a list', async () => {
    const transport = backend.makeRedis({ concurrency: 2 });
    const started: string[] = [];
    const hold = gate();
    await transport.start(async (inv) => {
      started.push(nameOf(inv));
      if (nameOf(inv) === 'first') await hold.opened;
      return { status: 'ack' };
    });
    await transport.enqueue([envelope('first', { flowKey: 'k', flowLimit: 1 })]);
    await waitFor(() => started.length === 1);
    await transport.enqueue([envelope('second', { flowKey: 'k', flowLimit: 1 })]);
    const parked = `${backend.prefix}{transport}:parkedq:k`;
    await waitFor(async () => (await backend.redis.zcard(parked)) === 1, 'second to be parked');
    // As an earlier release left it: in a FIFO list under the old key.
    const [id] = await backend.redis.zrange(parked, '0', '0');
    await backend.redis.zrem(parked, id!);
    await backend.redis.rpush(`${backend.prefix}{transport}:parked:k`, id!);
    hold.open();
    await waitFor(() => started.length === 2, 'the list-parked item to run');
    expect(started).toEqual(['first', 'second']);
    await waitFor(async () => (await transport.stats()).parked === 0);
  });

  it('drops an invocation redelivered past maxRedeliveries without running it', async () => {
    const hang = gate();
    const dropped: unknown[] = [];
    const options = {
      concurrency: 1,
      visibilityMs: 50,
      maxHoldMs: 0,
      maxRedeliveries: 0,
      onDropped: (d: unknown) => dropped.push(d),
    };
    const crashed = backend.makeRedis(options);
    let runs = 0;
    await crashed.start(async () => {
      runs += 1;
      await hang.opened;
      return { status: 'ack' };
    });
    await crashed.enqueue([envelope('poison')]);
    await waitFor(() => runs === 1);
    const survivor = backend.makeRedis(options);
    await survivor.start(async () => {
      runs += 1;
      return { status: 'ack' };
    });
    await waitFor(() => dropped.length === 1);
    expect(runs).toBe(1);
    expect(dropped[0]).toMatchObject({ deliveries: 2, invocation: { task: 'poison' } });
    hang.open();
  });

  it('prefetches: a slot that frees starts the next claimed invocation without a round trip', async () => {
    const transport = backend.makeRedis({ concurrency: 2, prefetch: 2 });
    await transport.enqueue(Array.from({ length: 4 }, (_, i) => envelope(`p-${i}`)));
    const gates = Array.from({ length: 4 }, () => gate());
    const started: string[] = [];
    await transport.start(async (invocation) => {
      const task = (invocation as { task: string }).task;
      started.push(task);
      await gates[Number(task.split('-')[1])]!.opened;
      return { status: 'ack' };
    });
    await waitFor(() => started.length === 2);
    expect(started).toEqual(['p-0', 'p-1']);
    gates[0]!.open();
    // p-2 was claimed with the first two: it starts as soon as p-0 is done, with no round trip
    // in between (a reply from Redis cannot arrive within these few microtask turns).
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(started).toEqual(['p-0', 'p-1', 'p-2']);
    for (const g of gates) g.open();
    await waitFor(() => started.length === 4);
    await transport.stop();
  });

  it('starts the next invocation once a handler released its slot, and acks only when it settles', async () => {
    const transport = backend.makeRedis({ concurrency: 1, prefetch: 1 });
    await transport.enqueue([envelope('r-0'), envelope('r-1')]);
    const recording = gate();
    const started: string[] = [];
    const settled: string[] = [];
    await transport.start(async (invocation, hooks) => {
      const task = (invocation as { task: string }).task;
      started.push(task);
      if (task === 'r-0') {
        // The task code is done; recording its outcome goes on without holding the only slot.
        hooks?.releaseSlot();
        hooks?.releaseSlot();
        await recording.opened;
      }
      settled.push(task);
      return { status: 'ack' };
    });
    await waitFor(() => settled.includes('r-1'));
    expect(started).toEqual(['r-0', 'r-1']);
    expect(settled).toEqual(['r-1']);
    // r-0 is not acknowledged yet: still in flight in Redis.
    expect((await transport.stats()).inFlight).toBe(1);
    // Stopping waits for the unsettled invocation, then acknowledges it.
    const stopping = transport.stop();
    await sleep(20);
    expect(settled).toEqual(['r-1']);
    recording.open();
    await stopping;
    expect(settled).toEqual(['r-1', 'r-0']);
    expect(await transport.stats()).toMatchObject({ queued: 0, inFlight: 0 });
  });

  it('hands prefetched invocations back when it stops, so another dispatcher runs them', async () => {
    const first = backend.makeRedis({ concurrency: 1, prefetch: 3 });
    await first.enqueue(Array.from({ length: 4 }, (_, i) => envelope(`h-${i}`)));
    const hold = gate();
    const ranByFirst: string[] = [];
    await first.start(async (invocation) => {
      ranByFirst.push((invocation as { task: string }).task);
      await hold.opened;
      return { status: 'ack' };
    });
    await waitFor(() => ranByFirst.length === 1);
    const stopping = first.stop();
    hold.open();
    await stopping;
    const second = backend.makeRedis({ concurrency: 4 });
    const ranBySecond: string[] = [];
    await second.start(async (invocation) => {
      ranBySecond.push((invocation as { task: string }).task);
      return { status: 'ack' };
    });
    await waitFor(() => ranBySecond.length === 3);
    expect([...ranByFirst, ...ranBySecond].sort()).toEqual(['h-0', 'h-1', 'h-2', 'h-3']);
    await second.stop();
  });

  it('sends follow-ups with the acknowledgement: no round trip of their own', async () => {
    const transport = backend.makeRedis({ concurrency: 1 });
    await transport.enqueue([envelope('a')]);
    const seen: string[] = [];
    await transport.start(async (invocation) => {
      const task = (invocation as { task: string }).task;
      seen.push(task);
      return task === 'a' ? { status: 'ack', followUps: [envelope('b'), envelope('c')] } : { status: 'ack' };
    });
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['a', 'b', 'c']);
    // Only the first enqueue was a round trip of its own; the follow-ups rode with an ack and a claim.
    expect(transport.roundTripsByOp.enqueue).toBe(1);
    expect(Object.keys(transport.roundTripsByOp)).toContain('enqueue+ack+claim');
    await transport.stop();
  });

  it('wakes itself once per chain of follow-ups, not once per enqueue', async () => {
    const transport = backend.makeRedis({ concurrency: 10 });
    let done = 0;
    await transport.start(async (invocation) => {
      const step = Number((invocation as { task: string }).task.split('-')[1]);
      done += 1;
      return step < 4 ? { status: 'ack', followUps: [envelope(`s-${step + 1}`)] } : { status: 'ack' };
    });
    await sleep(50);
    const blpops = () => transport.roundTripsByOp.blpop ?? 0;
    const before = blpops();
    for (let chain = 0; chain < 5; chain++) {
      const target = done + 5;
      await transport.enqueue([envelope('s-0')]);
      await waitFor(() => done === target, `chain ${chain}`);
      await sleep(10);
    }
    // Follow-ups enqueued with a claim push no wake token, and a local enqueue does not poke a
    // dispatcher that the token already wakes: one blocking wait per chain (it was five).
    expect(blpops() - before).toBeLessThanOrEqual(2 * 5);
    await transport.stop();
  });

  it('claims many ready items in one round trip', async () => {
    const transport = backend.makeRedis({ concurrency: 20, prefetch: 0 });
    await transport.enqueue(Array.from({ length: 20 }, (_, i) => envelope(`t-${i}`)));
    const release = gate();
    let started = 0;
    const before = transport.roundTrips;
    await transport.start(async () => {
      started += 1;
      await release.opened;
      return { status: 'ack' };
    });
    await waitFor(() => started === 20);
    // One claim took all 20 (a wake-list wait may have been issued too).
    expect(transport.roundTripsByOp.claim).toBe(1);
    expect(transport.roundTrips - before).toBeLessThanOrEqual(2);
    release.open();
  });

  it('falls back to EVAL when Redis does not know a script yet (NOSCRIPT)', async () => {
    const runner = new ScriptRunner(backend.redis);
    const lua = `return ARGV[1] -- ${backend.prefix}`;
    const script = { name: 'probe', lua, sha: createHash('sha1').update(lua).digest('hex'), numberOfKeys: 0 };
    expect(await runner.call({ script, keys: [], args: ['hello'] })).toBe('hello');
    expect(runner.roundTrips).toBe(2);
    expect(await runner.call({ script, keys: [], args: ['again'] })).toBe('again');
    expect(runner.roundTrips).toBe(3);
  });

  it('names the script in a failure', async () => {
    const runner = new ScriptRunner(backend.redis);
    const lua = "return redis.call('NOPE')";
    const script = {
      name: 'broken',
      lua,
      sha: createHash('sha1').update(lua).digest('hex'),
      numberOfKeys: 0,
    };
    await expect(runner.call({ script, keys: [], args: [] })).rejects.toThrow(TransportScriptError);
  });

  it('reports Redis errors and still finishes stop() when Redis is gone', async () => {
    const client = connect();
    const errors: unknown[] = [];
    const transport = new RedisTransport({
      redis: client,
      prefix: backend.prefix,
      onError: (e) => errors.push(e),
    });
    const release = gate();
    let started = 0;
    await transport.start(async () => {
      started += 1;
      await release.opened;
      return { status: 'ack' };
    });
    await transport.enqueue([envelope('a')]);
    await waitFor(() => started === 1);
    client.disconnect();
    release.open();
    await transport.stop();
    expect(errors.length).toBeGreaterThan(0);
    // The unacknowledged item is still in flight: it comes back once its deadline passes.
    expect((await backend.makeRedis().stats()).inFlight).toBe(1);
  });

  it('stops while its connections are reconnecting after the server dropped them', async () => {
    const name = `stop-${backend.prefix.slice(5, 13)}`;
    // Reconnections a second apart (the wake connection copies this client's options).
    const client = new Redis(REDIS_URL, { connectionName: name, retryStrategy: () => 1_000 });
    const transport = new RedisTransport({
      redis: client,
      prefix: backend.prefix,
      idleWaitMs: 5_000,
      onError: () => {},
    });
    await transport.start(async () => ({ status: 'ack' }));
    // Idle: the dispatcher waits on its wake connection.
    await sleep(100);
    const admin = connect();
    const list = (await admin.client('LIST')) as string;
    for (const line of list.split('\n').filter((l) => l.includes(` name=${name} `))) {
      await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
    }
    admin.disconnect();
    await sleep(50);
    // Stopped before the reconnection: the queued wait is never answered, stop() must not wait for it.
    const stopped = await Promise.race([transport.stop().then(() => true), sleep(4_000).then(() => false)]);
    client.disconnect();
    expect(stopped).toBe(true);
  });

  it('refuses a second start', async () => {
    const transport = backend.makeRedis();
    await transport.start(async () => ({ status: 'ack' }));
    await expect(transport.start(async () => ({ status: 'ack' }))).rejects.toThrow(/already started/);
  });
});
