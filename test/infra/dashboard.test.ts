/**
 * The Grafana dashboard: the committed JSON is what dashboard.ts (typed as @grafana/schema's Dashboard,
 * so `tsc` checks it) generates, its layout is sound, every query is valid PromQL (promtool) and
 * names only metrics the service exports (METRICS).
 */
import { readFileSync } from 'node:fs';
import type { Panel, RowPanel } from '@grafana/schema';
import { describe, expect, it } from 'vitest';
import { dashboard, dashboardJson } from '../../infra/monitoring/grafana/dashboard.js';
import { checkPromql, recordName, unknownMetricNames } from './metrics.js';
import { repoPath } from './tools.js';

const committed: unknown = JSON.parse(
  readFileSync(repoPath('infra/monitoring/grafana/waooaw-dashboard.json'), 'utf8'),
);
const allPanels = dashboard.panels ?? [];
const isRow = (panel: Panel | RowPanel): panel is RowPanel => panel.type === 'row';
const panels = allPanels.filter((panel): panel is Panel => !isRow(panel));

interface Target {
  panel: string;
  refId: string;
  expr: string;
}
const targets: Target[] = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({
    panel: panel.title ?? `panel ${panel.id}`,
    refId: String(target.refId),
    expr: String(target.expr),
  })),
);

/** Grafana's interval variables, replaced by a fixed range so that promtool can parse the query. */
const GRAFANA_VARIABLES: Record<string, string> = {
  $__rate_interval: '1m',
  $__interval: '1m',
  $__range: '1h',
};
const toPromql = (expr: string): string =>
  expr.replace(/\$__rate_interval|\$__interval|\$__range/g, (variable) => GRAFANA_VARIABLES[variable]!);

describe('Grafana dashboard', () => {
  it('is committed as generated from dashboard.ts (regenerate: npx tsx infra/monitoring/grafana/build.ts)', () => {
    expect(committed).toEqual(JSON.parse(dashboardJson()));
  });

  it('has the Event bus, Orchestration and Integration sections, in that order', () => {
    expect(allPanels.filter(isRow).map((row) => row.title)).toEqual([
      'Event bus',
      'Orchestration',
      'Integration (event ↔ task)',
    ]);
  });

  it('asks the Prometheus chosen in its datasource variable', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
    const chosen = { type: 'prometheus', uid: '${datasource}' };
    const variable = dashboard.templating?.list?.find((v) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual(chosen);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual(chosen);
      }
    }
  });

  it('gives every panel a unique id and a place inside the 24-column grid, without overlaps', () => {
    const ids = allPanels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const panel of allPanels) {
      const pos = panel.gridPos!;
      expect(pos.x + pos.w, panel.title).toBeLessThanOrEqual(24);
      for (let x = pos.x; x < pos.x + pos.w; x++) {
        for (let y = pos.y; y < pos.y + pos.h; y++) {
          expect(cells.has(`${x},${y}`), `${panel.title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('shows what Story 7 asks for', () => {
    const exprs = targets.map((t) => t.expr).join('\n');
    for (const needed of [
      'rate(waooaw_events_published_total',
      'histogram_quantile(0.95, max by (le) (rate(waooaw_event_delivery_latency_seconds_bucket',
      'waooaw_dlq_size',
      'max by (priority) (waooaw_queue_depth)',
      'max(waooaw_invocations_in_flight) / max(waooaw_invocation_slots)',
      'waooaw_task_outcomes_total{outcome="completed"}',
      'waooaw_task_outcomes_total{outcome="failed"}',
    ]) {
      expect(exprs).toContain(needed);
    }
    for (const histogram of [
      'waooaw_event_to_task_latency_seconds',
      'waooaw_task_to_event_latency_seconds',
      'waooaw_end_to_end_latency_seconds',
    ]) {
      for (const q of ['0.5', '0.95', '0.99']) {
        expect(exprs).toContain(`histogram_quantile(${q}, max by (le) (rate(${histogram}_bucket`);
      }
    }
  });

  it('uses no template variable other than Grafana interval variables in queries', () => {
    for (const target of targets) expect(toPromql(target.expr), target.panel).not.toContain('$');
  });

  it('has queries that promtool accepts as PromQL', () => {
    const result = checkPromql(
      targets.map((t) => ({
        name: recordName('dashboard', `${t.panel} ${t.refId}`),
        expr: toPromql(t.expr),
      })),
    );
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${targets.length} rules found`);
  });

  it('names only metrics that src/observability/metric-names.ts exports', () => {
    expect(unknownMetricNames(targets.map((t) => t.expr).join('\n'))).toEqual([]);
  });
});
