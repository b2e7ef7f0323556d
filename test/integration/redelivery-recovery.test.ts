/**
 * An invocation delivered again after its attempt ended, when the process that ran it did not
 * acknowledge it (it stopped between recording the outcome and reporting it): the attempt's events
 * are reported again under the same ids, and what it released (dependents, or its retry) is
 * enqueued with the acknowledgement.
 * The first process is played by direct store calls; the real-process version (SIGKILL) is in
 * processes.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWaooaw, defineWorkflow, type Store, type TaskInvocation } from '../../src/index.js';
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

  /** A first process ran `a` and recorded its outcome (completed, or failed with a retry), then stopped. */
  async function setUp(outcome: 'completed' | 'failed' = 'completed') {
    ns = newPrefix();
    parts = backend.parts(ns);
    // Never started: the invocations its runs enqueue wait; the test delivers them by hand.
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [fan] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-fan' });
    const attempt = { runId, task: 'a', attempt: 1, phase: 'execute' as const };
    const lease = await parts.store.leaseAttempt({
      ...attempt,
      workerId: 'gone-1',
      now: Date.now(),
      leaseMs: 60_000,
    });
    expect(lease.ok).toBe(true);
    const done =
      outcome === 'completed'
        ? await parts.store.completeAttempt({ ...attempt, result: { n: 1 }, now: Date.now() })
        : await parts.store.failAttempt({
            ...attempt,
            error: 'boom',
            now: Date.now(),
            retryAt: Date.now() + 60_000,
          });
    expect(done.ok).toBe(true);
    const invocation = (task: string, n = 1): TaskInvocation => ({
      kind: 'task',
      runId,
      workflow: 'recover-fan',
      task,
      attempt: n,
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

  it('reports a failed attempt again and hands over its retry, due after its backoff', async () => {
    const { app, runId, invocation, ids } = await setUp('failed');
    const outcome = await app.orchestrator.handleTask(invocation('a'));
    const followUps = outcome.status === 'ack' ? (outcome.followUps ?? []) : [];
    expect(followUps.map((f) => (f.invocation as TaskInvocation).attempt)).toEqual([2]);
    expect(followUps[0]!.options?.delayMs).toBeGreaterThan(50_000);
    expect(await ids('orchestration.task.failed')).toEqual([`${runId}:a:1:failed`]);
    expect(await ids('orchestration.task.started')).toEqual([`${runId}:a:1:started`]);
    const [failed] = await parts!.store.readEvents({ limit: 1, types: ['orchestration.task.failed'] });
    expect(failed!.event.data).toMatchObject({ name: 'a', attempt: 1, error: 'boom', will_retry: true });
    expect(await parts!.store.listDlq({ limit: 10 })).toEqual([]);
  });

  it('writes the DLQ entry of a final failure it could not write, once, when delivered again', async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const store = refusingDlq(parts.store, 1);
    const app = createWaooaw({ store, transport: parts.transport, workflows: [doomed] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-doomed' });
    const x: TaskInvocation = {
      kind: 'task',
      runId,
      workflow: 'recover-doomed',
      task: 'x',
      attempt: 1,
      phase: 'execute',
    };
    // The attempt fails for good; its DLQ entry is refused: not acknowledged, to come again.
    expect(await app.orchestrator.handleTask(x)).toMatchObject({ status: 'retry' });
    expect((await store.getRun(runId))?.status).toBe('failed');
    expect(await store.listDlq({ limit: 10 })).toEqual([]);
    // Delivered again: reported again, the entry written. And again: still one entry.
    expect(await app.orchestrator.handleTask(x)).toEqual({ status: 'ack' });
    expect(await app.orchestrator.handleTask(x)).toEqual({ status: 'ack' });
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

  it("writes the DLQ entry of a compensation's final failure it could not write, once, when delivered again", async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [unwinding] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-unwinding' });
    const call = (task: string, phase: 'execute' | 'compensate' = 'execute'): TaskInvocation => ({
      kind: 'task',
      runId,
      workflow: 'recover-unwinding',
      task,
      attempt: 1,
      phase,
    });
    expect((await app.orchestrator.handleTask(call('a'))).status).toBe('ack');
    expect((await app.orchestrator.handleTask(call('b'))).status).toBe('ack');
    const store = refusingDlq(parts.store, 1);
    expect(await app.orchestrator.handleTask(call('a', 'compensate'))).toMatchObject({ status: 'retry' });
    expect(await app.orchestrator.handleTask(call('a', 'compensate'))).toEqual({ status: 'ack' });
    expect(await app.orchestrator.handleTask(call('a', 'compensate'))).toEqual({ status: 'ack' });
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

  it('reads nothing more for the refused invocations of a cancelled run', async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    let reads = 0;
    const getRun = parts.store.getRun.bind(parts.store);
    parts.store.getRun = (runId) => {
      reads++;
      return getRun(runId);
    };
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [fan] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-fan' });
    await app.orchestrator.cancelRun(runId);
    const a: TaskInvocation = {
      kind: 'task',
      runId,
      workflow: 'recover-fan',
      task: 'a',
      attempt: 1,
      phase: 'execute',
    };
    expect(await app.orchestrator.handleTask(a)).toEqual({ status: 'ack' });
    expect(reads).toBe(0);
  });

  it('hands over the next compensation step a recorded compensation released', async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [saga] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-saga' });
    const call = (task: string, phase: 'execute' | 'compensate' = 'execute'): TaskInvocation => ({
      kind: 'task',
      runId,
      workflow: 'recover-saga',
      task,
      attempt: 1,
      phase,
    });
    for (const t of ['a', 'b', 'c']) expect((await app.orchestrator.handleTask(call(t))).status).toBe('ack');
    // A first process undid `b` and recorded it, then stopped: `a`'s step is released, not enqueued.
    const step = { runId, task: 'b', attempt: 1, phase: 'compensate' as const };
    expect(
      (await parts.store.leaseAttempt({ ...step, workerId: 'gone', now: Date.now(), leaseMs: 60_000 })).ok,
    ).toBe(true);
    expect((await parts.store.completeAttempt({ ...step, result: null, now: Date.now() })).ok).toBe(true);
    const view = await parts.store.getRun(runId);
    expect(view?.tasks.find((t) => t.name === 'a')).toMatchObject({
      state: 'compensating',
      compensation: { attempt: 1, leased: false },
    });
    const outcome = await app.orchestrator.handleTask(call('b', 'compensate'));
    const followUps = outcome.status === 'ack' ? (outcome.followUps ?? []) : [];
    expect(followUps.map((f) => f.invocation)).toEqual([
      expect.objectContaining({ task: 'a', phase: 'compensate', attempt: 1 }),
    ]);
  });

  /** Plays the first process: a lease then a completion or failure, recorded by the store alone. */
  const now = () => Date.now();
  const leased = async (
    store: Store,
    step: { runId: string; task: string; attempt: number; phase: 'execute' | 'compensate' },
  ) =>
    expect((await store.leaseAttempt({ ...step, workerId: 'gone', now: now(), leaseMs: 60_000 })).ok).toBe(
      true,
    );

  it("reports a completion that started its own task's undoing, and hands over that step", async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [race] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-race' });
    const a = { runId, task: 'a', attempt: 1, phase: 'execute' as const };
    await leased(parts.store, a);
    const b: TaskInvocation = {
      kind: 'task',
      runId,
      workflow: 'recover-race',
      task: 'b',
      attempt: 1,
      phase: 'execute',
    };
    expect((await app.orchestrator.handleTask(b)).status).toBe('ack');
    const done = await parts.store.completeAttempt({ ...a, result: 1, now: now() });
    expect(done.ok && done.ready.map((r) => `${r.task}:${r.phase}:${r.attempt}`)).toEqual(['a:compensate:1']);
    const outcome = await app.orchestrator.handleTask({ ...a, kind: 'task', workflow: 'recover-race' });
    const followUps = outcome.status === 'ack' ? (outcome.followUps ?? []) : [];
    expect(followUps.map((f) => f.invocation)).toEqual([
      expect.objectContaining({ task: 'a', phase: 'compensate', attempt: 1 }),
    ]);
    const completed = await parts.store.readEvents({ limit: 10, types: ['orchestration.task.completed'] });
    expect(completed.map((l) => [l.event.id, (l.event.data as { worker_id: string }).worker_id])).toEqual([
      [`${runId}:a:1:completed`, 'gone'],
    ]);
  });

  it('reports nothing of the task itself for a compensation step that completed', async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const app = createWaooaw({ store: parts.store, transport: parts.transport, workflows: [twice] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-twice' });
    const s = parts.store;
    const a1 = { runId, task: 'a', attempt: 1, phase: 'execute' as const };
    await leased(s, a1);
    expect((await s.failAttempt({ ...a1, error: 'flaky', now: now(), retryAt: now() })).ok).toBe(true);
    await leased(s, { ...a1, attempt: 2 });
    expect((await s.completeAttempt({ ...a1, attempt: 2, result: 1, now: now() })).ok).toBe(true);
    const b: TaskInvocation = {
      kind: 'task',
      runId,
      workflow: 'recover-twice',
      task: 'b',
      attempt: 1,
      phase: 'execute',
    };
    expect((await app.orchestrator.handleTask(b)).status).toBe('ack');
    const undo = { runId, task: 'a', attempt: 1, phase: 'compensate' as const };
    await leased(s, undo);
    expect((await s.completeAttempt({ ...undo, result: null, now: now() })).ok).toBe(true);
    const types = ['orchestration.task.completed', 'orchestration.task.started'];
    const before = (await s.readEvents({ limit: 50, types })).map((l) => l.event.id);
    expect(await app.orchestrator.handleTask({ ...undo, kind: 'task', workflow: 'recover-twice' })).toEqual({
      status: 'ack',
    });
    expect((await s.readEvents({ limit: 50, types })).map((l) => l.event.id)).toEqual(before);
  });

  it('hands over what a final failure released even when its DLQ entry is refused again', async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const store = refusingDlq(parts.store, 1);
    const enqueued: unknown[] = [];
    const enqueue = parts.transport.enqueue.bind(parts.transport);
    parts.transport.enqueue = async (items) => {
      enqueued.push(...items.map((i) => i.invocation));
      return enqueue(items);
    };
    const app = createWaooaw({ store, transport: parts.transport, workflows: [saga] });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-saga' });
    const call = (task: string): TaskInvocation => ({
      kind: 'task',
      runId,
      workflow: 'recover-saga',
      task,
      attempt: 1,
      phase: 'execute',
    });
    for (const t of ['a', 'b']) expect((await app.orchestrator.handleTask(call(t))).status).toBe('ack');
    // A first process fails `c` for good (the saga starts with `b`), then stops.
    const c = { runId, task: 'c', attempt: 1, phase: 'execute' as const };
    await leased(store, c);
    expect((await store.failAttempt({ ...c, error: 'c broke', now: now() })).ok).toBe(true);
    enqueued.length = 0;
    expect(await app.orchestrator.handleTask(call('c'))).toMatchObject({ status: 'retry' });
    expect(enqueued).toEqual([expect.objectContaining({ task: 'b', phase: 'compensate', attempt: 1 })]);
  });

  it('records a final failure whose process stopped before its DLQ entry, from the sweeper', async () => {
    ns = newPrefix();
    parts = backend.parts(ns);
    const app = createWaooaw({
      store: parts.store,
      transport: parts.transport,
      workflows: [doomed],
      orchestrator: { runEndGraceMs: 50 },
    });
    const { runId } = await app.orchestrator.startRun({ workflow: 'recover-doomed' });
    // A first process ran `x`, recorded its final failure, then stopped: no DLQ entry, no events.
    const x = { runId, task: 'x', attempt: 1, phase: 'execute' as const };
    await leased(parts.store, x);
    expect((await parts.store.failAttempt({ ...x, error: 'always', now: now() })).ok).toBe(true);
    expect(await parts.store.listDlq({ limit: 10 })).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    await app.sweep();
    const entries = await parts.store.listDlq({ limit: 10 });
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'task', runId, task: 'x', lastError: 'always' }),
    ]);
    const failed = await parts.store.readEvents({ limit: 10, types: ['orchestration.task.failed'] });
    expect(failed.map((l) => l.event.id)).toEqual([`${runId}:x:1:failed`]);
    // Recorded: not announced again, one entry.
    await new Promise((r) => setTimeout(r, 80));
    await app.sweep();
    expect(await parts.store.listDlq({ limit: 10 })).toHaveLength(1);
    expect(await parts.store.readEvents({ limit: 10, types: ['orchestration.task.failed'] })).toHaveLength(1);
  });
});
