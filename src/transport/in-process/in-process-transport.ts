import { PRIORITY_RANK } from '../../store/index.js';
import { invokeSafely, type RedeliveryOptions, redeliveryDelay, reportDropped } from '../redelivery.js';
import type { Envelope, Invocation, InvokeHandler, InvokeOutcome, Transport } from '../types.js';
import { type Clock, realClock } from './clock.js';
import { Heap } from './heap.js';

export interface InProcessTransportOptions extends RedeliveryOptions {
  /** Handler calls at once. */
  concurrency?: number;
  /** Real timers unless a test passes its own. */
  clock?: Clock;
}

export interface InProcessTransportStats {
  /** Due items waiting, parked ones included. */
  queued: number;
  /** Items waiting for a slot of their flow key. */
  parked: number;
  delayed: number;
  inFlight: number;
  slots: number;
}

interface Item {
  /** Enqueue order: FIFO within a priority, also once back from a delay or a retry. */
  seq: number;
  invocation: Invocation;
  rank: number;
  dueAt: number;
  flowKey: string | undefined;
  flowLimit: number;
  dedupId: string | undefined;
  deliveries: number;
}

/**
 * The embedded transport: an in-memory priority queue with delays, dedup ids, flow-key limits and
 * `concurrency` slots, calling the invoke handler in this process. Nothing survives a restart.
 *
 * @example
 * const transport = new InProcessTransport({ concurrency: 10 });
 * await transport.start(invokeHandler);
 * await transport.enqueue([{ invocation, options: { delayMs: 1_000 } }]);
 */
export class InProcessTransport implements Transport {
  readonly name = 'in-process';
  private readonly ready = new Heap<Item>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.seq < b.seq));
  private readonly delayed = new Heap<Item>(
    (a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq),
  );
  private readonly running = new Map<string, number>();
  private readonly parked = new Map<string, Item[]>();
  private readonly pendingDedupIds = new Set<string>();
  private readonly clock: Clock;
  private readonly concurrency: number;
  private parkedCount = 0;
  private inFlight = 0;
  private seq = 0;
  private handler: InvokeHandler | undefined;
  private timer: { handle: unknown; at: number } | undefined;
  private pumpScheduled = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly options: InProcessTransportOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.concurrency = options.concurrency ?? 10;
  }

  async enqueue(items: Envelope[]): Promise<void> {
    const now = this.clock.now();
    for (const { invocation, options = {} } of items) {
      if (options.dedupId !== undefined) {
        if (this.pendingDedupIds.has(options.dedupId)) continue;
        this.pendingDedupIds.add(options.dedupId);
      }
      const delay = Math.max(0, options.delayMs ?? 0);
      const item: Item = {
        seq: this.seq++,
        invocation,
        rank: PRIORITY_RANK[options.priority ?? 'NORMAL'],
        dueAt: now + delay,
        flowKey: options.flowKey,
        flowLimit: Math.max(1, Math.floor(options.flowLimit ?? 1)),
        dedupId: options.dedupId,
        deliveries: 0,
      };
      if (delay > 0) this.delayed.push(item);
      else this.ready.push(item);
    }
    this.armTimer();
    this.schedulePump();
  }

  async start(handler: InvokeHandler): Promise<void> {
    if (this.handler) throw new Error('InProcessTransport already started');
    this.handler = handler;
    this.armTimer();
    this.schedulePump();
  }

  /** Stops taking new invocations; resolves once the running handler calls have finished. */
  async stop(): Promise<void> {
    this.handler = undefined;
    this.armTimer();
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  stats(): InProcessTransportStats {
    return {
      queued: this.ready.size + this.parkedCount,
      parked: this.parkedCount,
      delayed: this.delayed.size,
      inFlight: this.inFlight,
      slots: this.concurrency,
    };
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const handler = this.handler;
    if (!handler) return;
    while (this.inFlight < this.concurrency) {
      const item = this.ready.pop();
      if (!item) return;
      if (item.flowKey !== undefined && !this.takeFlowSlot(item)) continue;
      this.run(item, handler);
    }
  }

  private run(item: Item, handler: InvokeHandler): void {
    this.inFlight += 1;
    item.deliveries += 1;
    void invokeSafely(() => handler(item.invocation)).then((outcome) => this.settle(item, outcome));
  }

  private settle(item: Item, outcome: InvokeOutcome): void {
    if (outcome.status === 'ack' && outcome.followUps && outcome.followUps.length > 0) {
      void this.enqueue(outcome.followUps);
    }
    this.inFlight -= 1;
    if (item.flowKey !== undefined) this.releaseFlowSlot(item.flowKey);
    const delay =
      outcome.status === 'retry'
        ? redeliveryDelay(this.options, item.deliveries, outcome.delayMs)
        : undefined;
    if (delay !== undefined) {
      item.dueAt = this.clock.now() + delay;
      if (delay > 0) this.delayed.push(item);
      else this.ready.push(item);
      this.armTimer();
    } else {
      if (item.dedupId !== undefined) this.pendingDedupIds.delete(item.dedupId);
      if (outcome.status === 'retry') {
        const dropped = { invocation: item.invocation, deliveries: item.deliveries, error: outcome.error };
        // A hook that throws must not take the process down from inside a settle.
        reportDropped(this.options, dropped, (error) => console.error('onDropped hook failed', error));
      }
    }
    if (this.inFlight === 0) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
    this.schedulePump();
  }

  /** Takes a slot of the item's flow key, or parks the item until one frees. */
  private takeFlowSlot(item: Item): boolean {
    const key = item.flowKey as string;
    const running = this.running.get(key) ?? 0;
    if (running >= item.flowLimit) {
      // Kept in priority order (FIFO within one), like ready: a slot that frees takes the best.
      const waiting = this.parked.get(key) ?? [];
      // From the end: a newer item of the same priority (the usual case) goes last at once.
      let at = waiting.length;
      while (
        at > 0 &&
        (waiting[at - 1]!.rank > item.rank ||
          (waiting[at - 1]!.rank === item.rank && waiting[at - 1]!.seq > item.seq))
      )
        at--;
      waiting.splice(at, 0, item);
      this.parked.set(key, waiting);
      this.parkedCount += 1;
      return false;
    }
    this.running.set(key, running + 1);
    return true;
  }

  /** Frees a slot of `key` and sends its first parked item (by priority, then age) back to ready. */
  private releaseFlowSlot(key: string): void {
    const running = (this.running.get(key) ?? 1) - 1;
    if (running > 0) this.running.set(key, running);
    else this.running.delete(key);
    const waiting = this.parked.get(key);
    const next = waiting?.shift();
    if (waiting?.length === 0) this.parked.delete(key);
    if (next) {
      this.parkedCount -= 1;
      this.ready.push(next);
    }
  }

  /** One timer, for the earliest delayed item, while started (a stopped transport holds no timer). */
  private armTimer(): void {
    const first = this.handler ? this.delayed.peek() : undefined;
    if (this.timer && (!first || first.dueAt < this.timer.at)) {
      this.clock.clearTimeout(this.timer.handle);
      this.timer = undefined;
    }
    if (!first || this.timer) return;
    const at = first.dueAt;
    const handle = this.clock.setTimeout(() => this.onTimer(), Math.max(0, at - this.clock.now()));
    this.timer = { handle, at };
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let first = this.delayed.peek(); first && first.dueAt <= now; first = this.delayed.peek()) {
      this.ready.push(this.delayed.pop()!);
    }
    this.armTimer();
    this.schedulePump();
  }
}
