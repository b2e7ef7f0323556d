/**
 * Node process metrics, named as the Prometheus client libraries name them. The process is passed
 * in (`processMetrics(process)` in functions/node.ts): nothing here touches a runtime global, and
 * the Worker never imports this file.
 */
import type { MetricFamily } from './prometheus.js';

/** The parts of Node's `process` read here; `process` itself fits. */
export interface ProcessInfo {
  /** Microseconds of CPU time, user and system. */
  cpuUsage(): { user: number; system: number };
  memoryUsage(): { rss: number; heapUsed: number };
  /** Seconds since the process started. */
  uptime(): number;
}

export interface ProcessMetricsOptions {
  clock?: () => number;
  /**
   * Runs a callback once the event loop has done its pending work (Node: `setImmediate`); the wait
   * is the event loop lag. Default: `setTimeout(cb, 0)`.
   */
  defer?: (callback: () => void) => void;
  /** A monotonic clock in ms (default `performance.now`). */
  monotonic?: () => number;
}

/**
 * The families of this process, measured at each call (each scrape).
 *
 * @example
 * const extra = processMetrics(process, { defer: setImmediate });
 * const text = renderPrometheus(await collectMetrics({ metrics, store, extra }));
 */
export function processMetrics(
  info: ProcessInfo,
  {
    clock = Date.now,
    defer = (callback) => setTimeout(callback, 0),
    monotonic = () => performance.now(),
  }: ProcessMetricsOptions = {},
): () => Promise<MetricFamily[]> {
  const startTime = clock() / 1000 - info.uptime();
  const lag = () =>
    new Promise<number>((resolve) => {
      const start = monotonic();
      defer(() => resolve((monotonic() - start) / 1000));
    });
  return async () => {
    const cpu = info.cpuUsage();
    const memory = info.memoryUsage();
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      help,
      type: 'gauge',
      samples: [{ labels: {}, value }],
    });
    return [
      {
        name: 'process_cpu_seconds_total',
        help: 'Total user and system CPU time spent in seconds.',
        type: 'counter',
        samples: [{ labels: {}, value: (cpu.user + cpu.system) / 1e6 }],
      },
      gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', memory.rss),
      gauge(
        'process_start_time_seconds',
        'Start time of the process since unix epoch in seconds.',
        startTime,
      ),
      gauge('nodejs_heap_used_bytes', 'V8 heap used in bytes.', memory.heapUsed),
      gauge('nodejs_eventloop_lag_seconds', 'Lag of the event loop in seconds.', await lag()),
    ];
  };
}
