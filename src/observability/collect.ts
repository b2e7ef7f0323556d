import { LATENCY_BUCKETS, METRICS } from './metric-names.js';
import type { MetricsStore } from './metrics.js';
import type { HistogramSample, MetricFamily, Sample } from './prometheus.js';
import type { MetricsSnapshot } from './series.js';

const PRIORITIES = ['CRITICAL', 'HIGH', 'NORMAL', 'LOW'] as const;
const GAUGE_STATES = ['pending', 'queued', 'running'] as const;

/** The store reads behind the scrape-time gauges (any waooaw `Store` fits). */
export interface GaugeSource {
  queueStats(): Promise<{
    pending: number;
    queued: number;
    running: number;
    queuedByPriority: Record<(typeof PRIORITIES)[number], number>;
  }>;
  dlqSizes(): Promise<Record<string, number>>;
}

export interface CollectOptions {
  /** Counters and histograms (RedisMetrics: cluster-wide). */
  metrics: MetricsStore;
  /** Queue, task and DLQ gauges, read at scrape time. */
  store: GaugeSource;
  /** TASK_QUEUE_MAX_SIZE, exported as `waooaw_queue_capacity` (omitted when not set). */
  capacity?: number;
  /** Families of this process (Node: `processMetrics(process)`); not cluster-wide. */
  extra?: () => Promise<MetricFamily[]> | MetricFamily[];
}

/**
 * Everything `GET /metrics` exports: counters and histograms from the metrics store, gauges read
 * from the store now, and the process's own families. One metrics read, one queue-stats read and
 * one DLQ-sizes read, in parallel.
 *
 * @example
 * const metricsText = async () => renderPrometheus(await collectMetrics({ metrics, store, capacity: 10_000 }));
 */
export async function collectMetrics(options: CollectOptions): Promise<MetricFamily[]> {
  const { metrics, store } = options;
  const [snapshot, stats, dlq, slots, extra] = await Promise.all([
    metrics.snapshot(),
    store.queueStats(),
    store.dlqSizes(),
    metrics.invocationSlots(),
    options.extra ? options.extra() : [],
  ]);
  const gauges: Partial<Record<string, Sample[]>> = {
    [METRICS.queueDepth.name]: PRIORITIES.map((priority) => ({
      labels: { priority },
      value: stats.queuedByPriority[priority] ?? 0,
    })),
    [METRICS.tasks.name]: GAUGE_STATES.map((state) => ({ labels: { state }, value: stats[state] })),
    [METRICS.invocationsInFlight.name]: [{ labels: {}, value: stats.running }],
    [METRICS.invocationSlots.name]: [{ labels: {}, value: slots }],
    [METRICS.dlqSize.name]:
      Object.keys(dlq).length === 0
        ? [{ labels: { subscription: '' }, value: 0 }]
        : Object.entries(dlq).map(([subscription, value]) => ({ labels: { subscription }, value })),
    [METRICS.queueCapacity.name]:
      options.capacity === undefined ? [] : [{ labels: {}, value: options.capacity }],
  };
  const families = Object.values(METRICS).map((m): MetricFamily => {
    if (m.type === 'gauge')
      return { name: m.name, help: m.help, type: 'gauge', samples: gauges[m.name] ?? [] };
    if (m.type === 'counter') {
      const samples = counters(snapshot, m.name);
      for (const labels of 'zeros' in m ? m.zeros : []) {
        const key = JSON.stringify(labels);
        if (!samples.some((sample) => JSON.stringify(sample.labels) === key))
          samples.push({ labels, value: 0 });
      }
      return { name: m.name, help: m.help, type: 'counter', samples };
    }
    const samples = histograms(snapshot, m.name);
    // An unlabelled histogram exists from the start (zeros), so rates and quantiles have a series.
    if (samples.length === 0 && m.labels.length === 0) samples.push(emptyHistogram());
    return { name: m.name, help: m.help, type: 'histogram', bounds: LATENCY_BUCKETS, samples };
  });
  return [...families, ...extra];
}

const counters = (snapshot: MetricsSnapshot, name: string): Sample[] =>
  snapshot.counters.filter((c) => c.name === name).map((c) => ({ labels: c.labels, value: c.value }));

const histograms = (snapshot: MetricsSnapshot, name: string): HistogramSample[] =>
  snapshot.histograms
    .filter((h) => h.name === name)
    .map((h) => ({ labels: h.labels, counts: h.counts, sum: h.sum, count: h.count }));

const emptyHistogram = (): HistogramSample => ({
  labels: {},
  counts: new Array(LATENCY_BUCKETS.length + 1).fill(0),
  sum: 0,
  count: 0,
});
