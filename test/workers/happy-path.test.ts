import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { useEdge } from './support/edge.js';
import { trigger, waitForRun } from './support/runs.js';

const edge = useEdge();

describe('Worker in workerd: happy path', () => {
  it('runs a fan-out / fan-in workflow from POST /events and publishes its completion event', async () => {
    const scope = edge.control.scope();
    const subscribed = await edge.api('/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pattern: 'orchestration.workflow.*',
        target: { kind: 'http', url: scope.eventsUrl },
      }),
    });
    expect(subscribed.status).toBe(201);

    edge.resetTraffic();
    const runId = await trigger(edge, 'edge-chain', 'edge.chain', { control: scope.url });
    const run = await waitForRun(edge, runId, ['completed', 'failed']);
    expect(run.status).toBe('completed');
    expect(run.tasks.map((t) => [t.name, t.state, t.attempt])).toEqual([
      ['a', 'completed', 1],
      ['b', 'completed', 1],
      ['c', 'completed', 1],
      ['d', 'completed', 1],
    ]);
    expect(run.tasks.find((t) => t.name === 'd')?.result).toEqual({ sum: 4 });
    expect(scope.steps().sort()).toEqual(['a', 'b', 'c']);

    const [completed] = await waitFor(() => {
      const found = scope.events().filter((e) => e.type === 'orchestration.workflow.completed');
      return found.length > 0 && found;
    }, 'the completion event');
    expect(completed).toMatchObject({ data: { run_id: runId, workflow: 'edge-chain', status: 'completed' } });
    // Reported by the suite run: Redis traffic of one run of four tasks on the edge path.
    console.info(`edge Redis traffic for one 4-task run: ${JSON.stringify(edge.redisTraffic)}`);
  });

  it('replays a trigger event from the log into a fresh run', async () => {
    const scope = edge.control.scope();
    const runId = await trigger(edge, 'edge-chain', 'edge.chain', { control: scope.url });
    expect((await waitForRun(edge, runId, ['completed', 'failed'])).status).toBe('completed');
    const from = Date.now() - 60_000;
    const replay = await edge.api('/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from, types: ['edge.chain'], subscriptionId: 'workflow.edge-chain.edge.chain' }),
    });
    expect(replay.status).toBe(202);
    const { events } = (await replay.json()) as { events: number };
    expect(events).toBeGreaterThanOrEqual(1);
    // Every replayed trigger starts a run of its own: the steps run again, under new run ids.
    await waitFor(() => new Set(scope.calls().map((c) => c.runId)).size === 2, 'the replayed run');
    const rerun = scope.calls().find((c) => c.runId !== runId)!.runId;
    expect((await waitForRun(edge, rerun, ['completed', 'failed'])).status).toBe('completed');
  });
});
