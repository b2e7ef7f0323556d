/**
 * End to end against a real Prometheus (Debian package `prometheus`): it scrapes a synthetic /metrics
 * built from METRICS as two replicas reporting the same cluster-wide values, loads alerts.yml, and
 * answers every dashboard query with data, the documents' queries without error, and the alert rules
 * evaluate cleanly. Checks what promtool's syntax check cannot: label names and values, vector
 * matching, and that replicas are not counted twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Panel } from '@grafana/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboard } from '../../infra/monitoring/grafana/dashboard.js';
import { METRICS } from '../../src/observability/metric-names.js';
import { freePort } from '../support/net.js';
import { exposition, startExporter } from './synthetic-exporter.js';
import { repoPath, requireTool, run } from './tools.js';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

let prometheus: ChildProcess | undefined;
let baseUrl = '';
let log = '';
const cleanups: Array<() => Promise<void> | void> = [];

async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] };
  };
  if (body.status !== 'success') throw new Error(`${expr}\n→ ${body.error}`);
  return body.data!.result;
}

/** Polls until `ready` holds, failing with Prometheus's log if it never does. */
async function waitFor(what: string, ready: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (prometheus?.exitCode != null) throw new Error(`prometheus exited (${prometheus.exitCode}):\n${log}`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; prometheus log:\n${log}`);
}

beforeAll(async () => {
  const binary = requireTool('prometheus');
  const replicas = [await startExporter(), await startExporter()];
  cleanups.push(...replicas.map((r) => r.close));
  const dir = mkdtempSync(join(tmpdir(), 'waooaw-prometheus-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [repoPath('infra/monitoring/prometheus/alerts.yml')],
    scrape_configs: [
      { job_name: 'waooaw', static_configs: [{ targets: replicas.map((r) => `127.0.0.1:${r.port}`) }] },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  prometheus.stdout?.on('data', (chunk) => (log += chunk));
  prometheus.stderr?.on('data', (chunk) => (log += chunk));
  // Four samples from each replica: enough for rate() over any window the queries use.
  await waitFor('four scrapes of both replicas', async () => {
    const counts = await query('count_over_time(waooaw_queue_capacity[1m])');
    return counts.length === 2 && counts.every((s) => Number(s.value[1]) >= 4);
  });
}, 60_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const dashboardTargets = (dashboard.panels ?? [])
  .filter((p): p is Panel => p.type !== 'row')
  .flatMap((panel) =>
    (panel.targets ?? []).map((t) => [`${panel.title} ${t.refId}`, String(t.expr)] as const),
  );
const asPromql = (expr: string): string => expr.replaceAll('$__rate_interval', '1m');
const docBlocks = ['docs/runbooks/troubleshooting.md', 'docs/deployment.md'].flatMap((path) =>
  [...readFileSync(repoPath(path), 'utf8').matchAll(/```promql\n([\s\S]*?)```/g)].map(
    (m, i) => [`${path} block ${i + 1}`, m[1]!.trim()] as const,
  ),
);

describe('with a real Prometheus scraping two replicas', () => {
  it.each(dashboardTargets)('dashboard query "%s" returns data', async (_, expr) => {
    const result = await query(asPromql(expr));
    expect(result.length, expr).toBeGreaterThan(0);
    for (const sample of result)
      expect(Number.isFinite(Number(sample.value[1])), `${expr} → ${sample.value[1]}`).toBe(true);
  });

  it.each(docBlocks)('%s runs', async (_, expr) => {
    await expect(query(expr)).resolves.toBeInstanceOf(Array);
  });

  it('does not count the cluster once per replica', async () => {
    const value = async (expr: string) => Number((await query(expr))[0]?.value[1]);
    expect(
      await value('sum(max by (priority) (waooaw_queue_depth)) / max(waooaw_queue_capacity)'),
    ).toBeCloseTo(0.18);
    expect(await value('max(waooaw_invocations_in_flight) / max(waooaw_invocation_slots)')).toBeCloseTo(0.35);
    const failureRate = dashboardTargets.find(([name]) => name.startsWith('Task failure rate'))![1];
    expect(await value(asPromql(failureRate))).toBeCloseTo(0.1, 1);
    const p95 = await value(
      'histogram_quantile(0.95, max by (le) (rate(waooaw_event_to_task_latency_seconds_bucket[1m])))',
    );
    expect(p95).toBeGreaterThan(0.1);
    expect(p95).toBeLessThanOrEqual(0.25);
  });

  it('evaluates every alert rule without error, and only the failure-rate alert is triggered', async () => {
    type Rule = { name: string; health: string; lastError?: string; state: string; lastEvaluation: string };
    let rules: Rule[] = [];
    await waitFor('the alert rules to be evaluated', async () => {
      const res = await fetch(`${baseUrl}/api/v1/rules?type=alert`);
      const body = (await res.json()) as { data: { groups: Array<{ rules: Rule[] }> } };
      rules = body.data.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => !r.lastEvaluation.startsWith('0001'));
    });
    for (const rule of rules)
      expect({ name: rule.name, health: rule.health, error: rule.lastError ?? '' }).toMatchObject({
        health: 'ok',
        error: '',
      });
    // The synthetic data fails 1 task attempt in 10 and keeps every other signal healthy.
    const state = Object.fromEntries(rules.map((r) => [r.name, r.state]));
    expect(state.WaooawTaskFailureRateHigh).toBe('pending');
    for (const name of [
      'WaooawQueueNearCapacity',
      'WaooawInvocationSlotsSaturated',
      'WaooawEventToTaskLatencyHigh',
      'WaooawPendingTasksStalled',
    ]) {
      expect(state[name], name).toBe('inactive');
    }
  });

  it('METRICS, as exposed, pass promtool check metrics (counter suffixes, units, help text)', () => {
    const result = run('promtool', ['check', 'metrics'], { input: exposition(100) });
    expect(result.status, result.output).toBe(0);
  });

  it('serves every metric in METRICS, as a check of the synthetic exporter itself', async () => {
    const names = new Set((await query('{__name__=~"waooaw_.+"}')).map((s) => s.metric.__name__));
    for (const metric of Object.values(METRICS)) {
      expect([...names]).toContain(metric.type === 'histogram' ? `${metric.name}_bucket` : metric.name);
    }
  });
});
