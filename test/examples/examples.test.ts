import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_SHARDS } from '../../examples/data-pipeline.js';
import { consumers, workflows } from '../../examples/index.js';
import { finishedRuns } from '../../examples/result-consumer.js';
import { trialJournal } from '../../examples/trial-provisioning.js';
import { createEvent } from '../../src/index.js';
import { type AppHandle, redis, startApp } from '../integration/backends.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

describe('bundled examples on Redis', () => {
  const ns = newPrefix();
  const recorder = new EventRecorder();
  let handle: AppHandle;

  beforeAll(async () => {
    handle = await startApp(redis, ns, workflows, [
      ...consumers,
      recorder.consumer('orchestration.workflow.*'),
    ]);
  });
  afterAll(async () => {
    await handle.stop();
    await redis.cleanup(ns);
  });

  async function runOf(type: string, data: unknown) {
    const event = createEvent({ type, source: '/examples-test', data });
    await handle.app.publish(event);
    const end = await waitFor(
      () => recorder.events.find((e) => e.causationid === event.id),
      `the run started by ${type} to end`,
    );
    return end.data as { run_id: string; status: string; results?: Record<string, unknown>; error?: string };
  }

  it('trial provisioning creates, provisions in parallel and welcomes', async () => {
    const end = await runOf('trial.requested', { email: 'ada@example.com', plan: 'pro' });
    expect(end.status).toBe('completed');
    expect(end.results?.sendWelcome).toMatchObject({ sent: true, to: 'ada@example.com' });
    expect(end.results?.provisionStorage).toMatchObject({ quotaGb: 100 });
  });

  it('trial provisioning compensates completed steps in reverse order when a step fails', async () => {
    trialJournal.length = 0;
    const end = await runOf('trial.requested', { email: 'bob@example.com', failAt: 'sendWelcome' });
    expect(end.status).toBe('compensated');
    const undo = trialJournal.filter((l) => /^(delete|drop)/.test(l)).map((l) => l.split(' ')[0]);
    // Both provisioning steps are undone before the account they depend on.
    expect(undo).toHaveLength(3);
    expect(undo[2]).toBe('deleteAccount');
    expect(new Set(undo.slice(0, 2))).toEqual(new Set(['dropDatabase', 'deleteBucket']));
  });

  it('the data pipeline fans out to every shard and merges', async () => {
    const numbers = Array.from({ length: 10 }, (_, i) => i + 1);
    const end = await runOf('pipeline.requested', { numbers });
    expect(end.status).toBe('completed');
    expect(end.results?.merge).toEqual({ sumOfSquares: 385, count: 10 });
    const run = await handle.app.orchestrator.getRun(end.run_id);
    expect(run?.tasks).toHaveLength(PIPELINE_SHARDS + 2);
  });

  it('the multi-agent collaboration reaches an approved answer', async () => {
    const end = await runOf('agents.goal.submitted', { goal: 'edge computing', tenant: 'acme' });
    expect(end.status).toBe('completed');
    expect(end.results?.write).toMatchObject({ approved: true });
  });

  it('a GitHub push webhook event runs the CI workflow', async () => {
    const end = await runOf('webhook.github.push', {
      ref: 'refs/heads/main',
      after: 'abcdef1234567',
      repository: { full_name: 'acme/api' },
    });
    expect(end.status).toBe('completed');
    expect(end.results?.report).toEqual({ status: 'success', sha: 'abcdef1234567' });
  });

  it('the result consumer saw every finished run', async () => {
    await waitFor(() => finishedRuns.length >= 5, 'the consumer to see five runs');
    expect(finishedRuns.map((r) => r.status)).toContain('compensated');
  });
});
