/**
 * A stand-in for waooaw's GET /metrics, built from METRICS: every metric with every label it declares,
 * counters and histograms growing with time, gauges at known values. Lets a real Prometheus run the
 * dashboard, alert and runbook queries before the service exists.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LATENCY_BUCKETS, METRICS } from '../../src/observability/metric-names.js';

const LABEL_VALUES: Record<string, string[]> = {
  type: ['orchestration.task.trigger', 'webhook.github.push'],
  subscription: ['billing', ''],
  kind: ['task', 'delivery', 'trigger'],
  priority: ['CRITICAL', 'HIGH', 'NORMAL', 'LOW'],
  state: ['pending', 'queued', 'running'],
  workflow: ['ingest'],
  task: ['fetch', 'store'],
  outcome: ['completed', 'failed', 'retried'],
  status: ['completed', 'failed'],
};

/** Gauge values the tests can compute expected results from. */
export const GAUGES: Record<string, (labels: Record<string, string>) => number> = {
  waooaw_queue_depth: (l) => ({ CRITICAL: 5, HIGH: 25, NORMAL: 100, LOW: 50 })[l.priority!] ?? 0, // 180 in all
  waooaw_queue_capacity: () => 1000,
  waooaw_invocations_in_flight: () => 7,
  waooaw_invocation_slots: () => 20,
  waooaw_tasks: (l) => ({ pending: 3, queued: 180, running: 7 })[l.state!] ?? 0,
  waooaw_dlq_size: () => 4,
};

/** Counter increase per second; task outcomes fail 1 in 10. */
const perSecond = (name: string, labels: Record<string, string>): number =>
  name === 'waooaw_task_outcomes_total' ? { completed: 9, failed: 1, retried: 2 }[labels.outcome!]! : 5;

/** Histograms: 10 observations a second, all of 0.2 s. */
const OBSERVATIONS_PER_SECOND = 10;
const OBSERVED_SECONDS = 0.2;

function labelSets(names: readonly string[]): Array<Record<string, string>> {
  return names.reduce<Array<Record<string, string>>>(
    (sets, name) =>
      sets.flatMap((set) => (LABEL_VALUES[name] ?? ['a', 'b']).map((value) => ({ ...set, [name]: value }))),
    [{}],
  );
}

const render = (labels: Record<string, string>): string => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
};

export function exposition(elapsedSeconds: number): string {
  const lines: string[] = [];
  for (const metric of Object.values(METRICS)) {
    lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const labels of labelSets(metric.labels)) {
      if (metric.type === 'gauge') {
        lines.push(`${metric.name}${render(labels)} ${(GAUGES[metric.name] ?? (() => 1))(labels)}`);
      } else if (metric.type === 'counter') {
        lines.push(
          `${metric.name}${render(labels)} ${Math.floor(elapsedSeconds * perSecond(metric.name, labels))}`,
        );
      } else {
        const count = Math.floor(elapsedSeconds * OBSERVATIONS_PER_SECOND);
        for (const le of [...LATENCY_BUCKETS, '+Inf' as const]) {
          const inBucket = le === '+Inf' || le >= OBSERVED_SECONDS ? count : 0;
          lines.push(`${metric.name}_bucket${render({ ...labels, le: String(le) })} ${inBucket}`);
        }
        lines.push(`${metric.name}_sum${render(labels)} ${count * OBSERVED_SECONDS}`);
        lines.push(`${metric.name}_count${render(labels)} ${count}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Serves the exposition on 127.0.0.1 at a free port. */
export async function startExporter(): Promise<{ port: number; close: () => Promise<void> }> {
  const started = Date.now();
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(exposition((Date.now() - started) / 1000));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
