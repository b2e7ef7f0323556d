import { describe, expect, it } from 'vitest';
import { useEdge } from './support/edge.js';
import { trigger, waitForRun } from './support/runs.js';
import { waitFor } from './support/wait.js';

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
});
