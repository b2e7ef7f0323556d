/** Finds the waooaw metric names a dashboard, rule file or runbook uses, and checks them against METRICS. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { METRICS } from '../../src/observability/metric-names.js';
import { type RunResult, run } from './tools.js';

const exported = new Map<string, string>(Object.values(METRICS).map((m) => [m.name, m.type]));

/** Every distinct `waooaw_*` name in the text. */
export function waooawMetricNames(text: string): string[] {
  return [...new Set(text.match(/\bwaooaw_[a-z0-9_]+/g) ?? [])].sort();
}

/** A name is known if METRICS exports it, or it is a histogram's `_bucket`, `_sum` or `_count` series. */
export function isExported(name: string): boolean {
  if (exported.has(name)) return true;
  const series = /^(.+)_(bucket|sum|count)$/.exec(name);
  return series !== null && exported.get(series[1]!) === 'histogram';
}

export function unknownMetricNames(text: string): string[] {
  return waooawMetricNames(text).filter((name) => !isExported(name));
}

/**
 * Runs `promtool check rules` over the expressions, each turned into a recording rule, so that every
 * PromQL syntax error is reported with the rule (and so the expression) it came from.
 */
export function checkPromql(exprs: Array<{ name: string; expr: string }>): RunResult & { file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'waooaw-promql-'));
  const file = join(dir, 'exprs.rules.yml');
  try {
    const rules = exprs.map(({ name, expr }) => ({ record: name, expr }));
    writeFileSync(file, stringify({ groups: [{ name: 'exprs', rules }] }));
    return { ...run('promtool', ['check', 'rules', file]), file };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A recording-rule name (a valid metric name) for an arbitrary label. */
export function recordName(prefix: string, label: string): string {
  return `${prefix}:${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')}`;
}
