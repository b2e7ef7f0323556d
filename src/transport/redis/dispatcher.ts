import type { Redis } from 'ioredis';
import { callToken } from '../../store/call-token.js';
import {
  DEFAULT_MAX_REDELIVERIES,
  invokeSafely,
  type RedeliveryOptions,
  redeliveryDelay,
  reportDropped,
} from '../redelivery.js';
import { Signal, sleep } from '../signal.js';
import type { Envelope, Invocation, InvokeHandler } from '../types.js';
import { type ClaimedItem, parseClaimReply } from './codec.js';
import { watchConnection } from './connection-watch.js';
import type { TransportKeys } from './keys.js';
import * as lua from './lua/generated/index.js';
import type { ScriptCall, ScriptRunner } from './script-runner.js';

export interface DispatcherOptions extends RedeliveryOptions {
  concurrency: number;
  /** Invocations claimed ahead of free slots, so a slot that frees starts its next one at once. */
  prefetch: number;
  visibilityMs: number;
  /** How long the deadline of one handler call is pushed back at most (0: never). */
  maxHoldMs: number;
  idleWaitMs: number;
  claimScanBudget: number;
  onError: (error: unknown) => void;
  /** Builds the enqueue call for follow-ups (sent first in the exchange pipeline). */
  enqueueCall: (items: Envelope[], wake: boolean) => ScriptCall;
}

interface Nack {
  id: string;
  deliveries: number;
  delayMs: number;
}

/**
 * Pulls invocations from Redis into at most `concurrency` concurrent handler calls.
 *
 * One loop does everything, one round trip per turn: it sends the acks and nacks gathered since
 * the last turn together with a claim for the free slots, in one pipeline. When Redis has nothing
 * due it blocks on the wake list (on its own connection: a blocked connection serves no one
 * else) until an enqueue pushes a token, a local handler finishes, or the next delayed item or
 * in-flight deadline is due.
 */
export class RedisDispatcher {
  /** Slots in use: handlers whose own work is running. */
  private inFlight = 0;
  /** Invocations started and not settled yet (a released slot may still be recording its outcome). */
  private unsettled = 0;
  /** Claimed, not yet started (prefetched): in flight in Redis, waiting here for a slot. */
  private buffer: { item: ClaimedItem; claimedAt: number }[] = [];
  private acks: string[] = [];
  /** Envelopes released by acknowledged invocations: enqueued in the same pipeline, before the acks. */
  private followUps: Envelope[] = [];
  private nacks: Nack[] = [];
  /**
   * Invocations whose handler runs here, with the delivery count they were claimed with and when
   * their visibility deadline was last pushed back (claim or renewal).
   */
  private readonly held = new Map<string, { deliveries: number; claimedAt: number; renewedAt: number }>();
  private stopping = false;
  private readonly signal = new Signal();
  private readonly blocker: Redis;
  private blocking: Promise<unknown> | undefined;
  private readonly loop: Promise<void>;

  constructor(
    redis: Redis,
    private readonly runner: ScriptRunner,
    private readonly keys: TransportKeys,
    private readonly handler: InvokeHandler,
    private readonly options: DispatcherOptions,
  ) {
    this.blocker = redis.duplicate();
    // Its blocking waits fail quietly (the loop claims on the main connection meanwhile): an
    // outage is reported once, not as one stderr stack trace per reconnection attempt.
    watchConnection(this.blocker, {
      lost: (error) => options.onError(new Error(`wake connection lost${error ? `: ${error.message}` : ''}`)),
      restored: () => {},
    });
    this.loop = this.run();
  }

  /** Handler calls running now in this process. */
  get busySlots(): number {
    return this.inFlight;
  }

  /**
   * Work was enqueued from this process: claim now rather than wait for the wake token. While the
   * loop blocks on the wake list the token itself wakes it; poking too would cost an empty claim.
   */
  poke(): void {
    if (this.inFlight < this.options.concurrency && !this.blocking) this.signal.fire();
  }

  /** Stops claiming, waits for the running handlers, settles them, then closes the wake connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.signal.fire();
    await this.loop;
    this.blocker.disconnect();
    // A wait queued while the connection was reconnecting is never answered once it is closed
    // (ioredis rejects queued commands only when a live connection closes): do not wait for ever.
    const waited = sleep(1_000);
    await Promise.race([this.blocking, waited.done]);
    waited.cancel();
  }

  private get maxDeliveries(): number {
    return 1 + (this.options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES);
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      this.signal.reset();
      if (this.stopping) this.releaseBuffer();
      const { concurrency, prefetch } = this.options;
      // Prefetch only while a slot is free: a process whose every slot hangs claims nothing more.
      const want =
        this.stopping || this.inFlight >= concurrency
          ? 0
          : Math.max(0, concurrency + prefetch - this.inFlight - this.buffer.length);
      const acks = this.acks.splice(0);
      const nacks = this.nacks.splice(0);
      const followUps = this.followUps.splice(0);
      const renewals = this.dueRenewals();
      if (
        want === 0 &&
        acks.length === 0 &&
        nacks.length === 0 &&
        followUps.length === 0 &&
        renewals.length === 0
      ) {
        if (this.stopping && this.unsettled === 0) return;
        // Every slot busy: wake for the next renewal even if no handler ends before it.
        const renewal = this.held.size > 0 ? sleep(this.nextRenewalMs()) : undefined;
        await Promise.race([this.signal.wait(), ...(renewal ? [renewal.done] : [])]);
        renewal?.cancel();
        continue;
      }
      let failed: unknown;
      try {
        const turn = await this.exchange(acks, nacks, want, followUps, renewals);
        const claimedAt = Date.now();
        for (const item of turn.items) this.buffer.push({ item, claimedAt });
        this.fill();
        failed = turn.error;
        if (!failed && want > 0 && turn.items.length < want) await this.idle(turn.waitMs);
      } catch (error) {
        failed = error;
      }
      if (!failed) {
        failures = 0;
        continue;
      }
      this.options.onError(failed);
      failures += 1;
      // Draining against an unreachable Redis: give up; unsettled items return after their deadline.
      if (this.stopping && this.unsettled === 0 && failures >= 3) return;
      await sleep(Math.min(50 * 2 ** failures, 2_000)).done;
    }
  }

  /** Settles finished invocations and claims up to `free` more, in one round trip. */
  private async exchange(
    acks: string[],
    nacks: Nack[],
    free: number,
    followUps: Envelope[] = [],
    renewals: [string, number][] = [],
  ) {
    const k = this.keys;
    const calls: ScriptCall[] = [];
    if (renewals.length > 0) {
      calls.push({
        script: lua.touch,
        keys: [k.inflight, k.deliveries],
        args: [this.options.visibilityMs, ...renewals.flat()],
      });
    }
    // Follow-ups first: they are in Redis before the acks of the invocations that released them,
    // and the claim at the end of this same round trip can already take them.
    // The claim at the end takes them: only without one do idle peers need the wake token.
    const enqueue = followUps.length > 0 ? this.options.enqueueCall(followUps, free === 0) : undefined;
    if (enqueue) calls.push(enqueue);
    if (acks.length > 0) {
      calls.push({
        script: lua.ack,
        keys: [k.ready, k.delayed, k.inflight, k.payload, k.meta, k.running, k.deliveries, k.stats, k.wake],
        args: [k.base, ...acks],
      });
    }
    if (nacks.length > 0) {
      calls.push({
        script: lua.nack,
        keys: [k.ready, k.delayed, k.inflight, k.meta, k.running, k.deliveries, k.stats, k.wake],
        args: [k.base, ...nacks.flatMap((n) => [n.id, n.deliveries, n.delayMs])],
      });
    }
    if (free > 0) {
      calls.push({
        script: lua.claim,
        keys: [k.ready, k.delayed, k.inflight, k.payload, k.meta, k.running, k.deliveries, k.stats, k.wake],
        // A token per claim: sent again after a dropped connection, it gets the same items back.
        args: [k.base, free, this.options.visibilityMs, this.options.claimScanBudget, callToken('claim')],
      });
    }
    let results: unknown[];
    // A renewal that did not go through is due again at once: its deadline is a third nearer.
    const renewAgain = () => {
      for (const [id] of renewals) {
        const hold = this.held.get(id);
        if (hold) hold.renewedAt = 0;
      }
    };
    try {
      results = await this.runner.batch(calls);
    } catch (error) {
      renewAgain();
      // Nothing was applied (or it was, and settles and dedup ids make a resend harmless): again next turn.
      this.followUps.unshift(...followUps);
      this.acks.unshift(...acks);
      this.nacks.unshift(...nacks);
      throw error;
    }
    let error: unknown;
    calls.forEach((call, i) => {
      if (!(results[i] instanceof Error)) return;
      error = results[i];
      // A failed settle is sent again next turn; the other calls of the pipeline went through.
      if (call === enqueue) this.followUps.push(...followUps);
      if (call.script === lua.ack) this.acks.push(...acks);
      if (call.script === lua.nack) this.nacks.push(...nacks);
      if (call.script === lua.touch) renewAgain();
    });
    const claim =
      free > 0 && !(results.at(-1) instanceof Error) ? parseClaimReply(results.at(-1)) : undefined;
    return { items: claim?.items ?? [], waitMs: claim?.waitMs ?? -1, error };
  }

  /** A third of the visibility window: a deadline is pushed back twice before it could pass. */
  private get renewEveryMs(): number {
    return Math.max(1, Math.floor(this.options.visibilityMs / 3));
  }

  /** Time until the earliest renewal is due (at least 1 ms). */
  private nextRenewalMs(): number {
    const now = Date.now();
    let next = this.renewEveryMs;
    for (const hold of this.held.values()) next = Math.min(next, hold.renewedAt + this.renewEveryMs - now);
    return Math.max(1, next);
  }

  /** Held invocations whose deadline is due to be pushed back: `[id, deliveries]` pairs. */
  private dueRenewals(): [string, number][] {
    const now = Date.now();
    const due: [string, number][] = [];
    for (const [id, hold] of this.held) {
      if (now - hold.renewedAt < this.renewEveryMs) continue;
      if (now - hold.claimedAt >= this.options.maxHoldMs) {
        // Taken for hung: no more renewals, so its invocation is delivered again after its deadline.
        this.held.delete(id);
        continue;
      }
      hold.renewedAt = now;
      due.push([id, hold.deliveries]);
    }
    return due;
  }

  /** Starts buffered invocations while slots are free. */
  private fill(): void {
    while (!this.stopping && this.inFlight < this.options.concurrency && this.buffer.length > 0) {
      const { item, claimedAt } = this.buffer.shift()!;
      // Waited past its visibility deadline: Redis has handed it to another dispatcher already.
      if (Date.now() - claimedAt >= this.options.visibilityMs) continue;
      this.dispatch(item, claimedAt);
    }
  }

  /** Stopping: hands back what was claimed but never started, so another dispatcher takes it now. */
  private releaseBuffer(): void {
    for (const { item } of this.buffer.splice(0)) {
      this.nacks.push({ id: item.id, deliveries: item.deliveries, delayMs: 0 });
    }
  }

  private dispatch(item: ClaimedItem, claimedAt: number): void {
    let invocation: Invocation;
    try {
      invocation = JSON.parse(item.payload) as Invocation;
    } catch (error) {
      this.drop(item, item.payload, `unreadable payload: ${String(error)}`);
      return;
    }
    if (item.deliveries > this.maxDeliveries) {
      this.drop(item, invocation, 'delivery limit reached (the dispatcher holding it stopped or overran)');
      return;
    }
    this.inFlight += 1;
    this.unsettled += 1;
    this.held.set(item.id, { deliveries: item.deliveries, claimedAt, renewedAt: claimedAt });
    let released = false;
    const releaseSlot = () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      // The slot was the last free one and nothing is buffered: the loop claims for no one while
      // every slot is busy, so wake it. Otherwise it is already claiming for the free slots.
      const wasFull = this.inFlight + 1 === this.options.concurrency;
      this.fill();
      if (wasFull && this.buffer.length === 0) this.signal.fire();
    };
    void invokeSafely(() => this.handler(invocation, { releaseSlot })).then((outcome) => {
      this.unsettled -= 1;
      this.held.delete(item.id);
      if (!released) {
        released = true;
        this.inFlight -= 1;
      }
      if (outcome.status === 'ack') {
        if (outcome.followUps && outcome.followUps.length > 0) this.followUps.push(...outcome.followUps);
        this.acks.push(item.id);
      } else {
        const delayMs = redeliveryDelay(this.options, item.deliveries, outcome.delayMs);
        if (delayMs === undefined) this.drop(item, invocation, outcome.error);
        else this.nacks.push({ id: item.id, deliveries: item.deliveries, delayMs });
      }
      this.fill();
      this.signal.fire();
    });
  }

  private drop(item: ClaimedItem, invocation: unknown, error: string): void {
    this.acks.push(item.id);
    this.signal.fire();
    reportDropped(this.options, { invocation, deliveries: item.deliveries, error }, this.options.onError);
  }

  /** Nothing claimable: sleep until a wake token, a local settle, or the next due time. */
  private async idle(waitMs: number): Promise<void> {
    let cap = waitMs >= 0 ? Math.min(waitMs, this.options.idleWaitMs) : this.options.idleWaitMs;
    // Back in time to push back the deadlines of what runs here.
    if (this.held.size > 0) cap = Math.min(cap, this.nextRenewalMs());
    if (cap <= 0 || this.stopping) return;
    this.blocking ??= this.blockOnWakeList();
    const timer = sleep(cap);
    await Promise.race([this.blocking, this.signal.wait(), timer.done]);
    timer.cancel();
  }

  private blockOnWakeList(): Promise<unknown> {
    this.runner.count('blpop');
    return this.blocker
      .blpop(this.keys.wake, this.options.idleWaitMs / 1000)
      .then(async (token): Promise<unknown> => {
        if (!token || this.stopping) return token;
        if (this.inFlight < this.options.concurrency) {
          // The loop may be mid-exchange, not waiting on this promise: make its next wait return.
          this.signal.fire();
        } else {
          // Taken while every slot is busy: the token belongs to an idle peer, hand it back.
          this.runner.count('wake');
          await this.blocker.rpush(this.keys.wake, '1');
        }
        return token;
      })
      .catch(() => null)
      .finally(() => {
        this.blocking = undefined;
      });
  }
}
