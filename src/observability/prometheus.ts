/** Prometheus text exposition (format 0.0.4) of metric families. */
import type { Labels } from './metrics.js';

/** The `Content-Type` of `GET /metrics`. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Observations per bucket, then the `+Inf` overflow: one more entry than `bounds` (not cumulative). */
  counts: number[];
  sum: number;
  count: number;
}

export type MetricFamily =
  | { name: string; help: string; type: 'counter' | 'gauge'; samples: Sample[] }
  | { name: string; help: string; type: 'histogram'; bounds: readonly number[]; samples: HistogramSample[] };

/**
 * Renders families as Prometheus text: `# HELP`, `# TYPE`, then the samples; histograms as
 * cumulative `_bucket{le=…}` series ending in `+Inf`, then `_sum` and `_count`.
 *
 * @example
 * new Response(renderPrometheus(await collectMetrics({ metrics, store })), {
 *   headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE },
 * });
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== 'histogram') {
      for (const s of family.samples) lines.push(`${family.name}${labelText(s.labels)} ${number(s.value)}`);
      continue;
    }
    for (const s of family.samples) {
      let cumulative = 0;
      family.bounds.forEach((le, i) => {
        cumulative += s.counts[i] ?? 0;
        lines.push(`${family.name}_bucket${labelText({ ...s.labels, le: number(le) })} ${cumulative}`);
      });
      lines.push(`${family.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${family.name}_sum${labelText(s.labels)} ${number(s.sum)}`);
      lines.push(`${family.name}_count${labelText(s.labels)} ${s.count}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
