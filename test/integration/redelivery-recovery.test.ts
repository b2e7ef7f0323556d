/**
 * An invocation delivered again after its attempt ended, when the process that ran it did not
 * acknowledge it (it stopped between recording the outcome and reporting it): the attempt's events
 * are reported again under the same ids, and what it released (dependents, or its retry) is
 * enqueued with the acknowledgement.
 * The first process is played by direct store calls; the real-process version (SIGKILL) is in
 * processes.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnyWorkflow,
  createWaooaw,
  defineWorkflow,
  type InvokeOutcome,
  type Phase,
  type Store,
  type TaskInvocation,
  type WaooawOptions,
} from '../../src/index.js';
import { newPrefix } from '../support/redis.js';
import { BACKENDS, type Parts } from './backends.js';

const fan = defineWorkflow({ name: 'recover-fan' })
  .task('a', { retry: { maxAttempts: 3 } }, async () => ({ n: 1 }))
  .task('b', { dependsOn: ['a'] }, async (ctx) => ctx.deps.a.n + 1)
  .task('c', { dependsOn: ['a'] }, async (ctx) => ctx.deps.a.n + 2);

const doomed = defineWorkflow({ name: 'recover-doomed' }).task(
  'x',
  { retry: { maxAttempts: 1 } },
  async () => {
    throw new Error('always');
  },
);

/** `b` fails for good; the compensation of `a` fails for good too. */
const unwinding = defineWorkflow({ name: 'recover-unwinding' })
  .task(
    'a',
    { compensationRetry: { maxAttempts: 1 } },
    {
      run: async () => 1,
      compensate: async () => {
        throw new Error('cannot undo');
      },
    },
  )
  .task('b', { dependsOn: ['a'], retry: { maxAttempts: 1 } }, async () => {
    throw new Error('b broke');
  });

/** `c` fails for good: the saga undoes `b`, then `a`. */
const saga = defineWorkflow({ name: 'recover-saga' })
  .task('a', { run: async () => 1, compensate: async () => {} })
  .task('b', { dependsOn: ['a'] }, { run: async () => 2, compensate: async () => {} })
  .task('c', { dependsOn: ['b'], retry: { maxAttempts: 1 } }, async () => {
    throw new Error('c broke');
  });

/** `b` fails for good while `a` (compensable) still runs: `a`'s completion starts its own undoing. */
const race = defineWorkflow({ name: 'recover-race' })
  .task('a', { run: async () => 1, compensate: async () => {} })
  .task('b', { retry: { maxAttempts: 1 } }, async () => {
    throw new Error('b broke');
  });

/** `a` completes on its second attempt, then `b` fails for good: `a` is undone. */
const twice = defineWorkflow({ name: 'recover-twice' })
  .task('a', { retry: { maxAttempts: 2 } }, { run: async () => 1, compensate: async () => {} })
  .task('b', { dependsOn: ['a'], retry: { maxAttempts: 1 } }, async () => {
    throw new Error('b broke');
  });

/** Refuses the next `n` DLQ writes as a server refuses (not resent). */
function refusingDlq(store: Store, n: number): Store {
  const add = store.addDlq.bind(store);
  let left = n;
  store.addDlq = async (entry) => {
    if (left-- > 0) throw Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError' });
    return add(entry);
  };
  return store;
}

describe.each(BACKENDS)('redelivered invocation of an ended attempt ($name)', (backend) => {
  let ns = '';
  let parts: Parts | undefined;

  afterEach(async () => {
    await parts?.close();
    await backend.cleanup(ns);
  });

  /**
   * A run of `workflow` on an app that is never started: the invocations it enqueues wait, and the
   * test delivers them by hand (`deliver`), as the transport would.
   */
  async function runOf(workflow: AnyWorkflow, options: Partial<WaooawOptions> = {}) {
    ns = newPrefix();
    parts = backend.parts(ns);
    const store = parts.store;
    const app = createWaooaw({ store, transport: parts.transport, workflows: [workflow], ...options });
    const { runId } = await app.orchestrator.startRun({ workflow: workflow.name });
    const invocation = (task: string, phase: Phase = 'execute', attempt = 1): TaskInvocation => ({
      kind: 'task',
      runId,
      workflow: workflow.name,
      task,
      attempt,
      phase,
    });
    const deliver = (task: string, phase: Phase = 'execute', attempt = 1) =>
      app.orchestrator.handleTask(invocation(task, phase, attempt));
    const ids = async (type: string) =>
      (await store.readEvents({ limit: 100, types: [type] })).map((l) => l.event.id).sort();
    /** Plays a first process that leased this attempt (and then recorded its outcome by hand). */
    const leased = async (task: string, phase: Phase = 'execute', attempt = 1) => {
      const lease = await store.leaseAttempt({
        runId,
        task,
        attempt,
        phase,
        workerId: 'gone',
        now: Date.now(),
        leaseMs: 60_000,
      });
      expect(lease.ok).toBe(true);
      return { runId, task, attempt, phase, now: Date.now() };
    };
    return { app, store, runId, deliver, ids, leased };
  }

  const released = (outcome: InvokeOutcome) =>
    (outcome.status === 'ack' ? (outcome.followUps ?? []) : []).map((f) => f.invocation as TaskInvocation);
  /** Past the runs' grace period (`runEndGraceMs: 50` where a test owes something). */
  const pastGrace = () => new Promise((r) => setTimeout(r, 80));

  it('reports the attempt again and hands over what it released', async () => {
    const { store, runId, deliver, ids, leased } = await runOf(fan);
    expect((await store.completeAttempt({ ...(await leased('a')), result: { n: 1 } })).ok).toBe(true);
    const outcome = await deliver('a');
    expect(
      released(outcome)
        .map((i) => `${i.task}#${i.attempt}`)
        .sort(),
    ).toEqual(['b#1', 'c#1']);
    expect(await ids('orchestration.task.started')).toEqual([`${runId}:a:1:started`]);
    expect(await ids('orchestration.task.completed')).toEqual([`${runId}:a:1:completed`]);
    expect(await ids('orchestration.task.created')).toEqual([
      `${runId}:a:created`,
      `${runId}:b:created`,
      `${runId}:c:created`,
    ]);
    const [completed] = await store.readEvents({ limit: 1, types: ['orchestration.task.completed'] });
    expect(completed!.event.data).toMatchObject({
      name: 'a',
      attempt: 1,
      result: { n: 1 },
      worker_id: 'gone',
    });
  });

  it('leaves an attempt that is not the last completed one alone', async () => {
    const { store, deliver, ids, leased } = await runOf(fan);
    expect((await store.completeAttempt({ ...(await leased('a')), result: { n: 1 } })).ok).toBe(true);
    // Attempt 2 of `a` never existed; `b` has not run.
    expect(await deliver('a', 'execute', 2)).toEqual({ status: 'ack' });
    expect(await ids('orchestration.task.completed')).toEqual([]);
    expect(await ids('orchestration.task.started')).toEqual([]);
  });

  it('reports a failed attempt again and hands over its retry, due after its backoff', async () => {
    const { store, runId, deliver, ids, leased } = await runOf(fan);
    const a = await leased('a');
    expect((await store.failAttempt({ ...a, error: 'boom', retryAt: a.now + 60_000 })).ok).toBe(true);
    const outcome = await deliver('a');
    expect(released(outcome).map((i) => i.attempt)).toEqual([2]);
    expect(outcome.status === 'ack' && outcome.followUps?.[0]?.options?.delayMs).toBeGreaterThan(50_000);
    expect(await ids('orchestration.task.failed')).toEqual([`${runId}:a:1:failed`]);
    expect(await ids('orchestration.task.started')).toEqual([`${runId}:a:1:started`]);
    const [failed] = await store.readEvents({ limit: 1, types: ['orchestration.task.failed'] });
    expect(failed!.event.data).toMatchObject({ name: 'a', attempt: 1, error: 'boom', will_retry: true });
    expect(await store.listDlq({ limit: 10 })).toEqual([]);
  });

  it('records a final failure whose DLQ write was refused, once, from the sweeper', async () => {
    const { app, store, runId, deliver } = await runOf(doomed, { orchestrator: { runEndGraceMs: 50 } });
    refusingDlq(store, 1);
    // The attempt fails for good; its DLQ entry is refused (logged): the run still owes it.
    expect(await deliver('x')).toEqual({ status: 'ack' });
    expect((await store.getRun(runId))?.status).toBe('failed');
    expect(await store.listDlq({ limit: 10 })).toEqual([]);
    await pastGrace();
    await app.sweep();
    // Delivered again meanwhile: nothing more to write.
    expect(await deliver('x')).toEqual({ status: 'ack' });
    await pastGrace();
    await app.sweep();
    const entries = await store.listDlq({ limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      kind: 'task',
      runId,
      task: 'x',
      lastError: 'Error: always',
      attempts: 1,
    });
    const alerts = await store.readEvents({ limit: 10, types: ['orchestration.alert'] });
    expect(new Set(alerts.map((a) => a.event.id))).toEqual(new Set([`${runId}:x:alert`]));
    expect(alerts[0]!.event.data).toMatchObject({ dlq_id: entries[0]!.id });
  });

  it("records a compensation's final failure whose DLQ write was refused, from the sweeper", async () => {
    const { app, store, runId, deliver } = await runOf(unwinding, { orchestrator: { runEndGraceMs: 50 } });
    expect((await deliver('a')).status).toBe('ack');
    expect((await deliver('b')).status).toBe('ack');
    refusingDlq(store, 1);
    expect(await deliver('a', 'compensate')).toEqual({ status: 'ack' });
    await pastGrace();
    await app.sweep();
    await pastGrace();
    await app.sweep();
    const entries = await store.listDlq({ limit: 10 });
    expect(entries.map((e) => `${e.task}:${e.reason}`).sort()).toEqual([
      'a:compensation failed',
      'b:retries exhausted',
    ]);
    const alerts = await store.readEvents({ limit: 10, types: ['orchestration.alert'] });
    expect([...new Set(alerts.map((a) => a.event.id))].sort()).toEqual([
      `${runId}:a:compensate:alert`,
      `${runId}:b:alert`,
    ]);
    expect((await store.getRun(runId))?.status).toBe('failed');
  });

  it('records a final failure whose process stopped before its DLQ entry, from the sweeper', async () => {
    const { app, store, runId, leased } = await runOf(doomed, { orchestrator: { runEndGraceMs: 50 } });
    // A first process ran `x`, recorded its final failure, then stopped: no DLQ entry, no events.
    expect((await store.failAttempt({ ...(await leased('x')), error: 'always' })).ok).toBe(true);
    expect(await store.listDlq({ limit: 10 })).toEqual([]);
    await pastGrace();
    await app.sweep();
    const entries = await store.listDlq({ limit: 10 });
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'task', runId, task: 'x', lastError: 'always' }),
    ]);
    const failed = await store.readEvents({ limit: 10, types: ['orchestration.task.failed'] });
    expect(failed.map((l) => l.event.id)).toEqual([`${runId}:x:1:failed`]);
    // Recorded: not announced again, one entry.
    await pastGrace();
    await app.sweep();
    expect(await store.listDlq({ limit: 10 })).toHaveLength(1);
    expect(await store.readEvents({ limit: 10, types: ['orchestration.task.failed'] })).toHaveLength(1);
  });

  it('reads nothing more for the refused invocations of a cancelled run', async () => {
    const { app, store, runId, deliver } = await runOf(fan);
    let reads = 0;
    const getRun = store.getRun.bind(store);
    store.getRun = (id) => {
      reads++;
      return getRun(id);
    };
    await app.orchestrator.cancelRun(runId);
    expect(await deliver('a')).toEqual({ status: 'ack' });
    expect(reads).toBe(0);
  });

  it('hands over the next compensation step a recorded compensation released', async () => {
    const { store, runId, deliver, leased } = await runOf(saga);
    for (const t of ['a', 'b', 'c']) expect((await deliver(t)).status).toBe('ack');
    // A first process undid `b` and recorded it, then stopped: `a`'s step is released, not enqueued.
    expect((await store.completeAttempt({ ...(await leased('b', 'compensate')), result: null })).ok).toBe(
      true,
    );
    const view = await store.getRun(runId);
    expect(view?.tasks.find((t) => t.name === 'a')).toMatchObject({
      state: 'compensating',
      compensation: { attempt: 1, leased: false },
    });
    expect(released(await deliver('b', 'compensate'))).toEqual([
      expect.objectContaining({ task: 'a', phase: 'compensate', attempt: 1 }),
    ]);
  });

  it("reports a completion that started its own task's undoing, and hands over that step", async () => {
    const { store, runId, deliver, leased } = await runOf(race);
    const a = await leased('a');
    expect((await deliver('b')).status).toBe('ack');
    const done = await store.completeAttempt({ ...a, result: 1 });
    expect(done.ok && done.ready.map((r) => `${r.task}:${r.phase}:${r.attempt}`)).toEqual(['a:compensate:1']);
    expect(released(await deliver('a'))).toEqual([
      expect.objectContaining({ task: 'a', phase: 'compensate', attempt: 1 }),
    ]);
    const completed = await store.readEvents({ limit: 10, types: ['orchestration.task.completed'] });
    expect(completed.map((l) => [l.event.id, (l.event.data as { worker_id: string }).worker_id])).toEqual([
      [`${runId}:a:1:completed`, 'gone'],
    ]);
  });

  it('reports nothing of the task itself for a compensation step that completed', async () => {
    const { store, deliver, leased } = await runOf(twice);
    expect(
      (await store.failAttempt({ ...(await leased('a')), error: 'flaky', retryAt: Date.now() })).ok,
    ).toBe(true);
    expect((await store.completeAttempt({ ...(await leased('a', 'execute', 2)), result: 1 })).ok).toBe(true);
    expect((await deliver('b')).status).toBe('ack');
    expect((await store.completeAttempt({ ...(await leased('a', 'compensate')), result: null })).ok).toBe(
      true,
    );
    const types = ['orchestration.task.completed', 'orchestration.task.started'];
    const before = (await store.readEvents({ limit: 50, types })).map((l) => l.event.id);
    expect(await deliver('a', 'compensate')).toEqual({ status: 'ack' });
    expect((await store.readEvents({ limit: 50, types })).map((l) => l.event.id)).toEqual(before);
  });

  it('hands over the saga step a recorded final failure released', async () => {
    const { store, deliver, leased } = await runOf(saga);
    for (const t of ['a', 'b']) expect((await deliver(t)).status).toBe('ack');
    // A first process fails `c` for good (the saga starts with `b`), then stops.
    expect((await store.failAttempt({ ...(await leased('c')), error: 'c broke' })).ok).toBe(true);
    expect(released(await deliver('c'))).toEqual([
      expect.objectContaining({ task: 'b', phase: 'compensate', attempt: 1 }),
    ]);
  });
});
