import type { Redis } from 'ioredis';
import { jsonLogger } from '../../observability/logger.js';
import type { RedeliveryOptions } from '../redelivery.js';
import type { Envelope, InvokeHandler, Transport } from '../types.js';
import { enqueueArgs, parseStatsReply, type RedisQueueDepth } from './codec.js';
import { RedisDispatcher } from './dispatcher.js';
import { type TransportKeys, transportKeys } from './keys.js';
import * as lua from './lua/generated/index.js';
import { type ScriptCall, ScriptRunner } from './script-runner.js';

export interface RedisTransportOptions extends RedeliveryOptions {
  /** The client to use. Not closed by the transport; it must not set ioredis `keyPrefix`. */
  redis: Redis;
  /** Prefix of every key (`${prefix}{transport}:…`). Processes sharing it share the work. */
  prefix?: string;
  /** Handler calls at once in this process (WORKER_POOL_SIZE). */
  concurrency?: number;
  /**
   * Invocations claimed ahead of free slots (default: half of `concurrency`), so a finishing
   * handler's slot starts the next one without a round trip. They may wait behind running ones:
   * 0 gives the strictest priority order.
   */
  prefetch?: number;
  /**
   * How long a claimed invocation stays invisible to other dispatchers after its dispatcher last
   * said it still runs it: a dispatcher pushes the deadline back every third of it while the
   * handler runs, so only a dead (or hung, see `maxHoldMs`) dispatcher's invocations are
   * delivered again. Default 30 s.
   */
  visibilityMs?: number;
  /**
   * How long a dispatcher keeps pushing back the deadline of one handler call. A call still
   * running past it is taken for hung: its invocation is delivered again once its deadline passes
   * (the orchestrator's leases make that harmless for tasks). Keep it above the longest task
   * timeout. Default 1 hour; 0 never pushes back.
   */
  maxHoldMs?: number;
  /** Longest idle sleep between claims (bounds how late a crashed peer's items are seen). */
  idleWaitMs?: number;
  /** How long a dedup id stays held at most (beyond the item's delay) if never acknowledged. */
  dedupTtlMs?: number;
  /** Extra ready items one claim may park behind busy flow keys before returning. */
  claimScanBudget?: number;
  /** Redis or hook errors of the dispatcher loop (it keeps going, backing off). Default: a JSON log line. */
  onError?: (error: unknown) => void;
}

const logDispatcherError = (error: unknown) =>
  jsonLogger().error('redis transport dispatcher error', {
    error: error instanceof Error ? error.message : String(error),
  });

export interface RedisTransportStats extends RedisQueueDepth {
  /** Concurrent handler calls allowed in this process. */
  slots: number;
  /** Handler calls running in this process now. */
  busySlots: number;
  /** Round trips this process sent (script calls, pipelines, blocking waits). */
  roundTrips: number;
}

/**
 * Self-hosted transport: queues in Redis, and an in-process dispatcher that calls the invoke
 * handler. Several processes on one Redis and prefix share the work; a claim is atomic, so one
 * invocation is never run by two dispatchers at once unless its visibility deadline passed.
 *
 * @example
 * const transport = new RedisTransport({ redis: new Redis(), concurrency: 10 });
 * await transport.start(invokeHandler);
 * await transport.enqueue([{ invocation, options: { priority: 'HIGH', flowKey: runId } }]);
 * process.on('SIGTERM', () => transport.stop()); // drains
 */
export class RedisTransport implements Transport {
  readonly name = 'redis';
  private readonly keys: TransportKeys;
  private readonly runner: ScriptRunner;
  private dispatcher: RedisDispatcher | undefined;

  constructor(private readonly options: RedisTransportOptions) {
    this.keys = transportKeys(options.prefix ?? 'waooaw:');
    this.runner = new ScriptRunner(options.redis);
  }

  /** Round trips sent so far, in total and by operation (`ack+claim` is one pipeline). */
  get roundTrips(): number {
    return this.runner.roundTrips;
  }

  get roundTripsByOp(): Readonly<Record<string, number>> {
    return this.runner.roundTripsByOp;
  }

  /** One round trip for the whole batch. */
  async enqueue(items: Envelope[]): Promise<void> {
    if (items.length === 0) return;
    await this.runner.call(this.enqueueCall(items));
    this.dispatcher?.poke();
  }

  /**
   * The enqueue script call for a batch (the dispatcher sends it with its acks and claim too).
   * `wake: false` when a claim follows in the same pipeline: it takes the items itself.
   */
  private enqueueCall(items: Envelope[], wake = true): ScriptCall {
    const k = this.keys;
    const { dedupTtlMs = 24 * 60 * 60 * 1000 } = this.options;
    return {
      script: lua.enqueue,
      keys: [k.ready, k.delayed, k.payload, k.meta, k.seq, k.wake],
      args: [k.base, Math.max(1, Math.ceil(dedupTtlMs)), wake ? '1' : '0', ...enqueueArgs(items)],
    };
  }

  async start(handler: InvokeHandler): Promise<void> {
    if (this.dispatcher) throw new Error('RedisTransport already started');
    const {
      concurrency = 10,
      visibilityMs = 30_000,
      maxHoldMs = 60 * 60_000,
      idleWaitMs = 1_000,
      claimScanBudget = 100,
      onError = logDispatcherError,
    } = this.options;
    this.dispatcher = new RedisDispatcher(this.options.redis, this.runner, this.keys, handler, {
      ...this.options,
      concurrency,
      prefetch: this.options.prefetch ?? Math.ceil(concurrency / 2),
      visibilityMs,
      maxHoldMs,
      idleWaitMs,
      claimScanBudget,
      onError,
      enqueueCall: (items, wake) => this.enqueueCall(items, wake),
    });
  }

  /** Stops claiming, waits for in-flight handler calls, acknowledges them, releases its connection. */
  async stop(): Promise<void> {
    const dispatcher = this.dispatcher;
    this.dispatcher = undefined;
    await dispatcher?.stop();
  }

  /** One round trip. Depths are for the whole prefix; slots are this process's. */
  async stats(): Promise<RedisTransportStats> {
    const k = this.keys;
    const reply = await this.runner.call({
      script: lua.stats,
      keys: [k.ready, k.delayed, k.inflight, k.stats],
      args: [],
    });
    return {
      ...parseStatsReply(reply),
      slots: this.options.concurrency ?? 10,
      busySlots: this.dispatcher?.busySlots ?? 0,
      roundTrips: this.runner.roundTrips,
    };
  }
}
