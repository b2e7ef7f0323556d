/**
 * The aggregate both metric stores keep: counters and histogram cells as `field -> number`, the same
 * fields the Redis hashes hold, so a buffer flushes as one HINCRBY per field and a snapshot reads
 * back with one parser. A field names the series: `<metric name>[<label values as JSON>]`, plus
 * `#<bucket index>`, `#sum` or `#count` for a histogram cell.
 */
import { LATENCY_BUCKETS, METRICS, type MetricKey } from './metric-names.js';
import type { Labels } from './metrics.js';

export interface CounterSeries {
  name: string;
  labels: Labels;
  value: number;
}

export interface HistogramSeries {
  name: string;
  labels: Labels;
  /** Observations per bucket of {@link LATENCY_BUCKETS}, then the `+Inf` overflow (not cumulative). */
  counts: number[];
  sum: number;
  count: number;
}

/** Every counter and histogram series, as one replica (or the cluster) sees it. */
export interface MetricsSnapshot {
  counters: CounterSeries[];
  histograms: HistogramSeries[];
}

const byName = new Map<string, (typeof METRICS)[MetricKey]>(Object.values(METRICS).map((m) => [m.name, m]));

/** Field names already built, per metric and label values: the hot path updates a few series often. */
const fields = new Map<string, string>();
const FIELD_CACHE_LIMIT = 10_000;

/**
 * Distinct series a process starts per metric. Label values come from what producers send (event
 * types, subscriptions) and what apps define (workflows, tasks); past this many, a metric's new
 * label sets count under one series whose every label is `_other`, so a producer that puts ids
 * in its event types cannot grow the metrics without bound.
 */
export const SERIES_PER_METRIC_LIMIT = 2_000;
export const OVERFLOW_LABEL = '_other';
const seen = new Map<MetricKey, Set<string>>();

/** Length-prefixed values: no two label sets make the same key, whatever characters they hold. */
function seriesKey(metric: MetricKey, names: readonly string[], labels: Labels): string {
  let key: string = metric;
  for (const n of names) {
    const value = labels[n] ?? '';
    key += `|${value.length}:${value}`;
  }
  return key;
}

/** `metric[label values]`: the declared labels in declared order (a missing one is ""). */
export function seriesField(metric: MetricKey, labels: Labels = {}): string {
  const { name, labels: names } = METRICS[metric];
  let key = seriesKey(metric, names, labels);
  if (names.length > 0) {
    let keys = seen.get(metric);
    if (!keys) {
      keys = new Set<string>();
      seen.set(metric, keys);
    }
    if (!keys.has(key)) {
      if (keys.size < SERIES_PER_METRIC_LIMIT) keys.add(key);
      else {
        labels = Object.fromEntries(names.map((n) => [n, OVERFLOW_LABEL]));
        key = seriesKey(metric, names, labels);
      }
    }
  }
  let field = fields.get(key);
  if (field === undefined) {
    field = `${name}${JSON.stringify(names.map((n) => labels[n] ?? ''))}`;
    // Label values are bounded in practice (types, workflows, tasks); the cap keeps a flood of
    // distinct ones from growing the cache for good.
    if (fields.size >= FIELD_CACHE_LIMIT) fields.clear();
    fields.set(key, field);
  }
  return field;
}

interface HistogramCells {
  buckets: string[];
  sum: string;
  count: string;
}

const cellNames = new Map<string, HistogramCells>();

/** The cell fields of a histogram series (`<series>#<bucket>`, `#sum`, `#count`), built once. */
function histogramCells(series: string): HistogramCells {
  let cells = cellNames.get(series);
  if (!cells) {
    cells = {
      buckets: Array.from({ length: LATENCY_BUCKETS.length + 1 }, (_, i) => `${series}#${i}`),
      sum: `${series}#sum`,
      count: `${series}#count`,
    };
    if (cellNames.size >= FIELD_CACHE_LIMIT) cellNames.clear();
    cellNames.set(series, cells);
  }
  return cells;
}

/** The bucket an observation falls in: the first upper bound it does not exceed, else `+Inf`. */
export function bucketIndex(value: number): number {
  const i = LATENCY_BUCKETS.findIndex((le) => value <= le);
  return i === -1 ? LATENCY_BUCKETS.length : i;
}

/** Counter and histogram cells, added to in place. */
export class SeriesTable {
  readonly counters = new Map<string, number>();
  readonly histograms = new Map<string, number>();
  /** Updates since the table was created (what a flush threshold counts). */
  updates = 0;

  inc(metric: MetricKey, labels: Labels | undefined, value: number): void {
    // A NaN or an infinity would make every flush of the buffer fail (HINCRBYFLOAT refuses it).
    if (!Number.isFinite(value)) return;
    add(this.counters, seriesField(metric, labels), value);
    this.updates++;
  }

  observe(metric: MetricKey, value: number, labels: Labels | undefined): void {
    if (!Number.isFinite(value)) return;
    const cells = histogramCells(seriesField(metric, labels));
    add(this.histograms, cells.buckets[bucketIndex(value)]!, 1);
    add(this.histograms, cells.sum, value);
    add(this.histograms, cells.count, 1);
    this.updates++;
  }

  get empty(): boolean {
    return this.counters.size === 0 && this.histograms.size === 0;
  }

  /** Adds another table's cells (a failed flush goes back into the buffer). */
  merge(other: SeriesTable): void {
    for (const [f, v] of other.counters) add(this.counters, f, v);
    for (const [f, v] of other.histograms) add(this.histograms, f, v);
    this.updates += other.updates;
  }

  snapshot(): MetricsSnapshot {
    return parseSnapshot(this.counters, this.histograms);
  }
}

function add(cells: Map<string, number>, field: string, value: number): void {
  cells.set(field, (cells.get(field) ?? 0) + value);
}

type Cells = Iterable<[string, number | string]>;

/** Reads counter and histogram cells (from memory or from the Redis hashes) into series. */
export function parseSnapshot(counters: Cells, histograms: Cells): MetricsSnapshot {
  const out: MetricsSnapshot = { counters: [], histograms: [] };
  for (const [field, value] of counters) {
    const series = parseField(field);
    if (series) out.counters.push({ ...series, value: Number(value) });
  }
  const hist = new Map<string, HistogramSeries>();
  for (const [field, value] of histograms) {
    const cut = field.lastIndexOf('#');
    const series = parseField(field.slice(0, cut));
    if (!series) continue;
    const key = field.slice(0, cut);
    let h = hist.get(key);
    if (!h) {
      h = { ...series, counts: new Array(LATENCY_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      hist.set(key, h);
    }
    const cell = field.slice(cut + 1);
    if (cell === 'sum') h.sum = Number(value);
    else if (cell === 'count') h.count = Number(value);
    else if (Number(cell) >= 0 && Number(cell) <= LATENCY_BUCKETS.length)
      h.counts[Number(cell)] = Number(value);
  }
  out.histograms = [...hist.values()];
  return out;
}

/** The metric and labels of a series field; undefined for a metric this release does not know. */
function parseField(field: string): { name: string; labels: Labels } | undefined {
  const open = field.indexOf('[');
  const metric = byName.get(field.slice(0, open));
  if (open < 0 || !metric) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(field.slice(open));
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || values.length !== metric.labels.length) return undefined;
  const labels: Labels = {};
  metric.labels.forEach((n, i) => {
    labels[n] = String(values[i]);
  });
  return { name: metric.name, labels };
}
