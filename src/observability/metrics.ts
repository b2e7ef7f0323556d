import type { MetricKey } from './metric-names.js';

export type Labels = Record<string, string>;

/**
 * Where the parts report what they count. Cheap and synchronous: implementations buffer and flush
 * in batches, so recording never adds a round trip to the hot path.
 */
export interface Metrics {
  inc(metric: MetricKey, labels?: Labels, value?: number): void;
  /** Records one observation of a histogram, in seconds (or the metric's base unit). */
  observe(metric: MetricKey, value: number, labels?: Labels): void;
}

/** Counts nothing. */
export const noopMetrics: Metrics = { inc: () => {}, observe: () => {} };
