import type { Metrics } from '../src/index.js';

/** Keeps every latency observation in memory, so the benchmark can compute percentiles. */
export class RecordingMetrics implements Metrics {
  readonly observations = new Map<string, number[]>();

  inc(): void {}

  observe(metric: string, value: number): void {
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
