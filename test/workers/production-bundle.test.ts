import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { useEdge } from './support/edge.js';
import { trigger, waitForRun } from './support/runs.js';

// The production entry (functions/worker.ts, bundled examples) exactly as `npm run build:worker` builds it.
const edge = useEdge('functions/worker.ts');

describe('production Worker bundle in workerd', () => {
  it('answers the probes', async () => {
    expect((await fetch(`${edge.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${edge.url}/ready`)).json()).toEqual({ status: 'ready' });
    expect((await edge.api('/runs/nope')).status).toBe(404);
    expect((await fetch(`${edge.url}/runs/nope`)).status).toBe(401);
  });

  it('runs the trial-provisioning example end to end', async () => {
    const runId = await trigger(edge, 'trial-provisioning', 'trial.requested', {
      email: 'ada@example.com',
      plan: 'pro',
    });
    const run = await waitForRun(edge, runId, ['completed', 'failed', 'compensated']);
    expect(run.status).toBe('completed');
    expect(run.tasks.map((t) => t.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // Every request wrote its metrics to Redis after responding: /metrics counts the run.
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${edge.url}/metrics`)).text();
      return /waooaw_runs_total\{workflow="trial-provisioning",status="completed"\} [1-9]/.test(text) && text;
    }, 'the run in /metrics');
    expect(metrics).toMatch(/waooaw_tasks\{state="running"\} 0/);
  });

  it('runs the cron: lease sweep and a metrics snapshot event', async () => {
    const scope = edge.control.scope();
    const subscribed = await edge.api('/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pattern: 'orchestration.metrics.snapshot',
        target: { kind: 'http', url: scope.eventsUrl },
      }),
    });
    expect(subscribed.status).toBe(201);
    // Miniflare's Fetcher has `scheduled`; its types come from workers-types, which the project does not load.
    const worker = (await edge.mf.getWorker()) as unknown as {
      scheduled(options: { cron: string; scheduledTime: Date }): Promise<{ outcome: string }>;
    };
    const result = await worker.scheduled({ cron: '* * * * *', scheduledTime: new Date() });
    expect(result.outcome).toBe('ok');
    const [snapshot] = await waitFor(
      () => scope.events().length > 0 && scope.events(),
      'the metrics snapshot',
    );
    expect(snapshot).toMatchObject({
      type: 'orchestration.metrics.snapshot',
      data: { task_queue: { completed: expect.any(Number) } },
    });
  });
});
