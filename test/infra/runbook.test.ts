/**
 * The troubleshooting runbook and the deployment guide: the runbook covers the five problems, every
 * ```promql block in either document is valid PromQL (promtool), and every waooaw metric they name is
 * exported.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReplayRequestSchema } from '../../src/http/schemas.js';
import { checkPromql, unknownMetricNames } from './metrics.js';
import { markdownAnchors } from './runbook-anchors.js';
import { repoPath } from './tools.js';

const DOCS = ['docs/runbooks/troubleshooting.md', 'docs/deployment.md'];
const read = (path: string): string => readFileSync(repoPath(path), 'utf8');
const promqlBlocks = (text: string): string[] =>
  [...text.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

describe('troubleshooting runbook', () => {
  it('has a section for each problem the alerts point at', () => {
    const anchors = markdownAnchors('docs/runbooks/troubleshooting.md');
    for (const anchor of [
      'invocation-slot-exhaustion',
      'event-bus-backpressure',
      'dependency-deadlock',
      'dlq-growth',
      'stuck-runs',
    ]) {
      expect([...anchors]).toContain(anchor);
    }
  });

  it('uses the HTTP commands that fix things', () => {
    const text = read('docs/runbooks/troubleshooting.md');
    for (const command of [
      '/dlq/$id/replay',
      '/dlq/<entry-id>/replay',
      '-X POST $WAOOAW_URL/replay',
      '/runs/<run-id>/cancel',
    ]) {
      expect(text).toContain(command);
    }
  });
});

describe('runbook requests', () => {
  it('sends POST /replay bodies the API accepts', () => {
    const text = read('docs/runbooks/troubleshooting.md');
    const bodies = [...text.matchAll(/\/replay -H[^\n]*\\\n\s*-d '([^']+)'/g)].map((m) => JSON.parse(m[1]!));
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies)
      expect(ReplayRequestSchema.safeParse(body).success, JSON.stringify(body)).toBe(true);
  });
});

describe.each(DOCS)('%s', (path) => {
  it('has PromQL that promtool accepts', () => {
    const blocks = promqlBlocks(read(path));
    if (blocks.length === 0) return;
    const result = checkPromql(blocks.map((expr, i) => ({ name: `doc:block_${i + 1}`, expr })));
    expect(result.status, result.output).toBe(0);
  });

  it('names only metrics that src/observability/metric-names.ts exports', () => {
    expect(unknownMetricNames(read(path))).toEqual([]);
  });
});
