import type { Metrics } from '../src/index.js';
import type { MetricKey } from '../src/observability/metric-names.js';
import type { Labels } from '../src/observability/metrics.js';

/**
 * Keeps every latency observation in memory, so the benchmark can compute percentiles, and passes
 * everything on to the metrics the service really uses (cluster-wide, in Redis).
 */
export class RecordingMetrics implements Metrics {
  readonly observations = new Map<string, number[]>();

  constructor(private readonly inner?: Metrics) {}

  inc(metric: MetricKey, labels?: Labels, value?: number): void {
    this.inner?.inc(metric, labels, value);
  }

  reportSlots(workerId: string, slots: number): void {
    this.inner?.reportSlots?.(workerId, slots);
  }

  async flush(): Promise<void> {
    await this.inner?.flush?.();
  }

  observe(metric: MetricKey, value: number, labels?: Labels): void {
    this.inner?.observe(metric, value, labels);
    let list = this.observations.get(metric);
    if (!list) {
      list = [];
      this.observations.set(metric, list);
    }
    list.push(value);
  }

  take(metric: string): number[] {
    const list = this.observations.get(metric) ?? [];
    this.observations.set(metric, []);
    return list;
  }
}
