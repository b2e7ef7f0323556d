import { metricsFlush } from './lua/generated/index.js';
import type { LuaScript } from './lua/script.js';
import type { MetricKey } from './metric-names.js';
import type { Labels, MetricsStore } from './metrics.js';
import { type MetricsKeys, metricsKeys } from './metrics-keys.js';
import { type MetricsSnapshot, parseSnapshot, SeriesTable } from './series.js';

type RedisArg = string | number;

/** What RedisMetrics needs of a client: the store's `RedisClientAdapter` (ioredis or Upstash) fits. */
export interface MetricsRedisClient {
  evalScript(script: LuaScript, keys: string[], args: RedisArg[]): Promise<unknown>;
  pipeline(commands: RedisArg[][]): Promise<unknown[]>;
}

export interface RedisMetricsOptions {
  client: MetricsRedisClient;
  /** Key prefix shared by every replica of one deployment (`${prefix}{metrics}:…`). */
  prefix?: string;
  /** Longest a recorded update waits before it is written. */
  flushIntervalMs?: number;
  /** Updates that trigger a flush before the interval is up. */
  flushAfterUpdates?: number;
  /** How long a slot report lives without a heartbeat (a crashed process drops out after it). */
  slotsTtlMs?: number;
  clock?: () => number;
  /** A failed flush keeps its updates for the next one; this hears about the failure. */
  onError?: (error: unknown) => void;
}

/**
 * Cluster-wide metrics in Redis: every replica adds to the same hashes, so `GET /metrics` answers
 * the same wherever it lands. Updates are aggregated in memory and written by one atomic script
 * call every `flushIntervalMs` or `flushAfterUpdates` updates, whichever comes first: recording
 * never waits on Redis.
 *
 * @example
 * const metrics = new RedisMetrics({ client: fromIoredis(new Redis()), prefix: 'waooaw:' });
 * const app = createWaooaw({ store, transport, metrics });
 */
export class RedisMetrics implements MetricsStore {
  /** Flushes written (each one round trip), for measuring what metrics cost. */
  flushes = 0;
  /** Updates recorded (`inc` and `observe` calls). */
  recorded = 0;
  private buffer = new SeriesTable();
  private readonly keys: MetricsKeys;
  private readonly options: Required<Omit<RedisMetricsOptions, 'prefix'>>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private inflight: Promise<void> = Promise.resolve();
  /** This process's slot report: pending write (number, 0 = withdraw) and the current value. */
  private slots: { workerId: string; value: number; due: boolean } | undefined;

  constructor({ prefix = 'waooaw:', ...options }: RedisMetricsOptions) {
    this.keys = metricsKeys(prefix);
    this.options = {
      flushIntervalMs: 1_000,
      flushAfterUpdates: 1_000,
      slotsTtlMs: 30_000,
      clock: Date.now,
      onError: () => {},
      ...options,
    };
  }

  inc(metric: MetricKey, labels?: Labels, value = 1): void {
    this.buffer.inc(metric, labels, value);
    this.updated();
  }

  observe(metric: MetricKey, value: number, labels?: Labels): void {
    this.buffer.observe(metric, value, labels);
    this.updated();
  }

  reportSlots(workerId: string, slots: number): void {
    this.slots = { workerId, value: slots, due: true };
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (slots > 0) {
      this.heartbeat = setInterval(() => {
        if (this.slots) this.slots.due = true;
        void this.flush();
      }, this.options.slotsTtlMs / 3);
      unref(this.heartbeat);
    }
    void this.flush();
  }

  /** Writes the buffer in one round trip; concurrent calls queue behind the one in flight. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    const slots = this.slots?.due ? { ...this.slots } : undefined;
    if (batch.empty && !slots) return this.inflight;
    this.buffer = new SeriesTable();
    if (this.slots) this.slots.due = false;
    const args = this.flushArgs(batch, slots);
    const { keys } = this;
    // Per batch: a batch put back after a failure goes out again merged, under a new token.
    const token = crypto.randomUUID();
    this.inflight = this.inflight.then(async () => {
      try {
        await this.options.client.evalScript(
          metricsFlush,
          [keys.counters, keys.histograms, keys.slots, `${keys.flushedBase}${token}`],
          args,
        );
        this.flushes++;
      } catch (error) {
        this.buffer.merge(batch);
        if (slots && this.slots) this.slots.due = true;
        this.schedule();
        this.options.onError(error);
      }
    });
    return this.inflight;
  }

  async snapshot(): Promise<MetricsSnapshot> {
    await this.flush();
    const [counters, histograms] = await this.options.client.pipeline([
      ['HGETALL', this.keys.counters],
      ['HGETALL', this.keys.histograms],
    ]);
    return parseSnapshot(entries(counters), entries(histograms));
  }

  async invocationSlots(): Promise<number> {
    await this.flush();
    const [reports] = await this.options.client.pipeline([['HGETALL', this.keys.slots]]);
    const now = this.options.clock();
    let sum = 0;
    const stale: string[] = [];
    for (const [worker, report] of entries(reports)) {
      const [slots, expiresAt] = String(report).split(':').map(Number);
      if (Number.isFinite(expiresAt) && expiresAt! > now) sum += slots ?? 0;
      else stale.push(worker);
    }
    if (stale.length > 0) await this.options.client.pipeline([['HDEL', this.keys.slots, ...stale]]);
    return sum;
  }

  /** Stops the timers, withdraws this process's slots, and writes what is left. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.slots && this.slots.value > 0) this.slots = { ...this.slots, value: 0, due: true };
    await this.flush();
  }

  private updated(): void {
    this.recorded++;
    if (this.buffer.updates >= this.options.flushAfterUpdates) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.options.flushIntervalMs);
    unref(this.timer);
  }

  private flushArgs(batch: SeriesTable, slots: { workerId: string; value: number } | undefined): RedisArg[] {
    const args: RedisArg[] = [];
    for (const cells of [batch.counters, batch.histograms]) {
      args.push(cells.size);
      for (const [field, value] of cells) args.push(field, value);
    }
    if (!slots) args.push(0);
    else {
      const report =
        slots.value > 0 ? `${slots.value}:${this.options.clock() + this.options.slotsTtlMs}` : '';
      args.push(1, slots.workerId, report);
    }
    return args;
  }
}

/** HGETALL replies: an object (ioredis) or a flat [field, value, …] array (REST). */
function entries(reply: unknown): [string, string | number][] {
  if (Array.isArray(reply)) {
    const out: [string, string | number][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), reply[i + 1] as string]);
    return out;
  }
  if (reply && typeof reply === 'object') return Object.entries(reply as Record<string, string | number>);
  return [];
}

/** Lets Node exit with a timer pending (no-op where timers have no `unref`). */
function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}
