/**
 * Prometheus rules and configuration: promtool checks the rule file and the scrape config and runs
 * the alert unit tests (alerts.test.yml); each alert carries what an on-call engineer needs and a
 * runbook link that resolves; the rules name only exported metrics.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { unknownMetricNames } from './metrics.js';
import { markdownAnchors } from './runbook-anchors.js';
import { repoPath, run } from './tools.js';

const RULES = 'infra/monitoring/prometheus/alerts.yml';
const RULE_TESTS = 'infra/monitoring/prometheus/alerts.test.yml';
const CONFIG = 'infra/monitoring/prometheus/prometheus.yml';
const RUNBOOK = 'docs/runbooks/troubleshooting.md';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  name: string;
  alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }>;
}

const rulesText = readFileSync(repoPath(RULES), 'utf8');
const alerts: AlertRule[] = parse(rulesText).groups.flatMap((group: { rules: AlertRule[] }) => group.rules);
const ruleTests: RuleTest[] = parse(readFileSync(repoPath(RULE_TESTS), 'utf8')).tests;

/** Story 7's five alerts. */
const SEED_ALERTS = [
  'WaooawQueueNearCapacity',
  'WaooawInvocationSlotsSaturated',
  'WaooawEventToTaskLatencyHigh',
  'WaooawTaskFailureRateHigh',
  'WaooawDlqGrowthAnomaly',
];

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const result = run('promtool', ['check', 'rules', RULES]);
    expect(result.status, result.output).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const result = run('promtool', ['test', 'rules', RULE_TESTS]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it("include the seed's five alerts", () => {
    expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(SEED_ALERTS));
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a unit test that fires it and one that does not',
    (name) => {
      const cases = ruleTests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === name));
      expect(
        cases.some((c) => (c.exp_alerts ?? []).length > 0),
        `no test in ${RULE_TESTS} expects ${name} to fire`,
      ).toBe(true);
      expect(
        cases.some((c) => (c.exp_alerts ?? []).length === 0),
        `no test in ${RULE_TESTS} expects ${name} to stay quiet`,
      ).toBe(true);
    },
  );

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has severity, summary, description and a runbook link',
    (_, alert) => {
      expect(['warning', 'critical']).toContain(alert.labels?.severity);
      expect(alert.for, 'a `for:` keeps one bad scrape from paging').toMatch(/^\d+[smh]$/);
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.description).toBeTruthy();
      const link = /^docs\/runbooks\/troubleshooting\.md#([a-z0-9-]+)$/.exec(
        alert.annotations?.runbook_url ?? '',
      );
      expect(link, `runbook_url of ${alert.alert}`).not.toBeNull();
      expect([...markdownAnchors(RUNBOOK)], `${RUNBOOK} has no heading for #${link![1]}`).toContain(link![1]);
    },
  );

  it('name only metrics that src/observability/metric-names.ts exports', () => {
    expect(unknownMetricNames(alerts.map((a) => a.expr).join('\n'))).toEqual([]);
  });
});

describe('Prometheus configuration', () => {
  it('passes promtool check config (which also checks the rule files it loads)', () => {
    const result = run('promtool', ['check', 'config', CONFIG]);
    expect(result.status, result.output).toBe(0);
  });

  it('scrapes job waooaw every 10 s and loads alerts.yml', () => {
    const config = parse(readFileSync(repoPath(CONFIG), 'utf8'));
    expect(config.rule_files).toContain('alerts.yml');
    const job = config.scrape_configs.find((c: { job_name: string }) => c.job_name === 'waooaw');
    expect(job).toMatchObject({ scrape_interval: '10s', metrics_path: '/metrics' });
    expect(job.static_configs[0].targets).toEqual(['waooaw:8787']);
  });
});
