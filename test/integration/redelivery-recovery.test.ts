/**
 * An invocation delivered again after its attempt completed, when the process that ran it did not
 * acknowledge it (it stopped between recording the outcome and reporting it): the attempt's events
 * are reported again under the same ids, and what it released is enqueued with the acknowledgement.
 * The first process is played by direct store calls; the real-process version (SIGKILL) is in
 * processes.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWaooaw, defineWorkflow, type TaskInvocation } from '../../src/index.js';
import { newPrefix } from '../support/redis.js';
import { BACKENDS, type Parts } from './backends.js';

const fan = defineWorkflow({ name: 'recover-fan' })
  .task('a', async () => ({ n: 1 }))
  .task('b', { dependsOn: ['a'] }, async (ctx) => ctx.deps.a.n + 1)
  .task('c', { dependsOn: ['a'] }, async (ctx) => ctx.deps.a.n + 2);

describe.each(BACKENDS)('redelivered invocation of a completed attempt ($name)', (backend) => {
  let ns = '';
  let parts: Parts | undefined;

  afterEach(async () => {
    await parts?.close();
    await backend.cleanup(ns);
  });

  async function setUp() {
    ns = newPrefix();
    parts = backend.parts(ns);
    // Never started: the invocations its runs enqueue wait; the test delivers them by hand.
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [fan] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-fan' });
    // A first process ran `a` and recorded its completion, then stopped.
    const lease = await parts.store.leaseAttempt({
      runId,
      task: 'a',
      attempt: 1,
      phase: 'execute',
      workerId: 'gone-1',
      now: Date.now(),
      leaseMs: 60_000,
    });
    expect(lease.ok).toBe(true);
    const done = await parts.store.completeAttempt({
      runId,
      task: 'a',
      attempt: 1,
      phase: 'execute',
      result: { n: 1 },
      now: Date.now(),
    });
    expect(done.ok).toBe(true);
    const invocation = (task: string, attempt = 1): TaskInvocation => ({
      kind: 'task',
      runId,
      workflow: 'recover-fan',
      task,
      attempt,
      phase: 'execute',
    });
    const ids = async (type: string) =>
      (await parts!.store.readEvents({ limit: 100, types: [type] })).map((l) => l.event.id).sort();
    return { app, runId, invocation, ids };
  }

  it('reports the attempt again and hands over what it released', async () => {
    const { app, runId, invocation, ids } = await setUp();
    const outcome = await app.orchestrator.handleTask(invocation('a'));
    expect(outcome.status).toBe('ack');
    const released = (outcome.status === 'ack' ? (outcome.followUps ?? []) : []).map(
      (f) => `${(f.invocation as TaskInvocation).task}#${(f.invocation as TaskInvocation).attempt}`,
    );
    expect(released.sort()).toEqual(['b#1', 'c#1']);
    expect(await ids('orchestration.task.started')).toEqual([`${runId}:a:1:started`]);
    expect(await ids('orchestration.task.completed')).toEqual([`${runId}:a:1:completed`]);
    expect(await ids('orchestration.task.created')).toEqual([
      `${runId}:a:created`,
      `${runId}:b:created`,
      `${runId}:c:created`,
    ]);
    const [completed] = await parts!.store.readEvents({ limit: 1, types: ['orchestration.task.completed'] });
    expect(completed!.event.data).toMatchObject({
      name: 'a',
      attempt: 1,
      result: { n: 1 },
      worker_id: 'gone-1',
    });
  });

  it('leaves an attempt that is not the last completed one alone', async () => {
    const { app, invocation, ids } = await setUp();
    // Attempt 2 of `a` never existed; `b` has not run.
    expect(await app.orchestrator.handleTask(invocation('a', 2))).toEqual({ status: 'ack' });
    expect(await ids('orchestration.task.completed')).toEqual([]);
    expect(await ids('orchestration.task.started')).toEqual([]);
  });
});
