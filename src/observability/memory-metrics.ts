import type { MetricKey } from './metric-names.js';
import type { Labels, MetricsStore } from './metrics.js';
import { type MetricsSnapshot, SeriesTable } from './series.js';

/**
 * Metrics kept in this process: the embedded default, and the test double. Nothing to flush.
 *
 * @example
 * const metrics = new MemoryMetrics();
 * const app = createWaooaw({ store, transport, metrics });
 * const text = renderPrometheus(await collectMetrics({ metrics, store }));
 */
export class MemoryMetrics implements MetricsStore {
  private readonly table = new SeriesTable();
  private readonly slots = new Map<string, number>();

  inc(metric: MetricKey, labels?: Labels, value = 1): void {
    this.table.inc(metric, labels, value);
  }

  observe(metric: MetricKey, value: number, labels?: Labels): void {
    this.table.observe(metric, value, labels);
  }

  reportSlots(workerId: string, slots: number): void {
    if (slots > 0) this.slots.set(workerId, slots);
    else this.slots.delete(workerId);
  }

  async snapshot(): Promise<MetricsSnapshot> {
    return this.table.snapshot();
  }

  async invocationSlots(): Promise<number> {
    let sum = 0;
    for (const s of this.slots.values()) sum += s;
    return sum;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
