import type { MetricKey } from './metric-names.js';
import type { MetricsSnapshot } from './series.js';

export type Labels = Record<string, string>;

/**
 * Where the parts report what they count. Cheap and synchronous: implementations buffer and flush
 * in batches, so recording never adds a round trip to the hot path.
 */
export interface Metrics {
  inc(metric: MetricKey, labels?: Labels, value?: number): void;
  /** Records one observation of a histogram, in seconds (or the metric's base unit). */
  observe(metric: MetricKey, value: number, labels?: Labels): void;
  /** Writes what is buffered (before a scrape, at shutdown). */
  flush?(): Promise<void>;
  /**
   * Reports this process's invocation slots with a heartbeat until it reports 0 (the app does this
   * on `start()` and `stop()`); `waooaw_invocation_slots` sums the live reports.
   */
  reportSlots?(workerId: string, slots: number): void;
}

/**
 * A Metrics that can also be read back: what `GET /metrics` renders. `MemoryMetrics` for one
 * process, `RedisMetrics` for a cluster (every replica answers the same).
 */
export interface MetricsStore extends Metrics {
  /** Every counter and histogram series (this process's buffer flushed first). */
  snapshot(): Promise<MetricsSnapshot>;
  /** The sum of the slots reported by live processes. */
  invocationSlots(): Promise<number>;
  flush(): Promise<void>;
  reportSlots(workerId: string, slots: number): void;
  /** Stops timers and flushes. */
  close(): Promise<void>;
}

/** Counts nothing. */
export const noopMetrics: Metrics = { inc: () => {}, observe: () => {} };
