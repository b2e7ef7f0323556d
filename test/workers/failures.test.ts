import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { useEdge } from './support/edge.js';
import { getRun, trigger, waitForRun } from './support/runs.js';

const edge = useEdge();

interface DlqEntry {
  id: string;
  kind: string;
  reason: string;
  attempts: number;
  lastError: string;
  runId?: string;
  task?: string;
}

async function dlqFor(runId: string): Promise<DlqEntry[]> {
  const response = await edge.api('/dlq?kind=task');
  return ((await response.json()) as DlqEntry[]).filter((e) => e.runId === runId);
}

describe('Worker in workerd: failures', () => {
  it('retries a failing task as a new delivery, then succeeds', async () => {
    const scope = edge.control.scope();
    scope.plan('unstable', (_call, nth) => (nth < 3 ? { fail: `flaky #${nth}` } : { value: 7 }));
    const runId = await trigger(edge, 'edge-flaky', 'edge.flaky', { control: scope.url });
    const run = await waitForRun(edge, runId, ['completed', 'failed']);
    expect(run.status).toBe('completed');
    expect(run.tasks[0]).toMatchObject({ name: 'unstable', state: 'completed', attempt: 3 });
    expect(run.tasks[0]?.result).toEqual({ attempt: 3, value: 7 });
    expect(scope.calls().map((c) => c.attempt)).toEqual([1, 2, 3]);
  });

  it('compensates the completed steps in reverse order when a step fails for good (saga)', async () => {
    const scope = edge.control.scope();
    scope.plan('ship', () => ({ fail: 'carrier rejected the parcel', permanent: true }));
    const runId = await trigger(edge, 'edge-saga', 'edge.saga', { control: scope.url });
    const run = await waitForRun(edge, runId, ['compensated', 'failed', 'completed']);
    expect(run.status).toBe('compensated');
    expect(scope.steps()).toEqual(['reserve', 'charge', 'ship', 'refund', 'release']);
    expect(run.tasks.map((t) => [t.name, t.state])).toEqual([
      ['reserve', 'compensated'],
      ['charge', 'compensated'],
      ['ship', 'failed'],
    ]);
  });

  it('puts a task whose retries are exhausted in the DLQ, and replays it into a fresh run', async () => {
    const scope = edge.control.scope();
    let broken = true;
    scope.plan('call', () => (broken ? { fail: 'downstream is down' } : { value: 42 }));
    const runId = await trigger(edge, 'edge-fragile', 'edge.fragile', { control: scope.url });
    const failed = await waitForRun(edge, runId, ['failed', 'completed']);
    expect(failed.status).toBe('failed');
    expect(scope.calls().map((c) => c.attempt)).toEqual([1, 2]);

    const [entry] = await waitFor(async () => {
      const entries = await dlqFor(runId);
      return entries.length > 0 && entries;
    }, 'the DLQ entry');
    expect(entry).toMatchObject({
      kind: 'task',
      reason: 'retries exhausted',
      attempts: 2,
      task: 'call',
      lastError: expect.stringContaining('downstream is down'),
    });

    broken = false;
    const replay = await edge.api(`/dlq/${entry!.id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(200);
    const replayed = (await replay.json()) as { runId: string };
    expect(replayed.runId).not.toBe(runId);
    const rerun = await waitForRun(edge, replayed.runId, ['completed', 'failed']);
    expect(rerun.status).toBe('completed');
    expect(rerun.tasks[0]?.result).toBe(42);
    expect(await dlqFor(runId)).toEqual([]);
    expect((await getRun(edge, runId))?.status).toBe('failed');
  });
});
