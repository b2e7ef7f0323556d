import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloudEvent, createEvent, createWaooaw } from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, redis, startApp } from './backends.js';
import { endsLedger, sharedWorkflows } from './fixtures/shared-workflows.js';

const FIXTURE = new URL('./fixtures/worker-process.ts', import.meta.url).pathname;
/** Reads what the workers recorded (executions) in Redis. */
const client = new Redis(REDIS_URL);

interface Worker {
  child: ChildProcess;
  lines: string[];
}

/**
 * @param dieOn the worker SIGKILLs itself as it is about to publish an event of this type prefix.
 * @param shortVisibility what it holds when it dies is delivered again after 1 s.
 */
function spawnWorker(
  ns: string,
  mode: 'hang' | 'work',
  dieOn?: string,
  shortVisibility = false,
): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: {
      ...process.env,
      NS: ns,
      MODE: mode,
      REDIS_URL,
      ...(dieOn ? { DIE_ON: dieOn } : {}),
      ...(shortVisibility ? { SHORT_VISIBILITY: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  return waitFor(() => lines.includes('READY'), 'worker process ready', 20_000).then(() => ({
    child,
    lines,
  }));
}

/** The shared workflows as this process runs them: each execution recorded in Redis with its pid. */
function recordingWorkflows(ns: string) {
  return sharedWorkflows({
    mode: 'work',
    record: async (line) => {
      await client.rpush(`${ns}executions`, `${line}:${process.pid}`);
    },
    announce: () => {},
  });
}

/** Publishes from the test process, through an app that is never started: it runs nothing. */
async function publishOnly(ns: string, events: CloudEvent[]) {
  const parts = redis.parts(ns);
  const publisher = createWaooaw({
    store: parts.store,
    transport: parts.transport,
    workflows: sharedWorkflows({ mode: 'work', record: async () => {}, announce: () => {} }),
  });
  await publisher.publish(events);
  return parts;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

describe('real worker processes on Redis', () => {
  let ns = '';
  const children: ChildProcess[] = [];
  let handle: AppHandle | undefined;

  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill('SIGKILL');
      await exited(c);
    }
    await handle?.stop();
    handle = undefined;
    await redis.cleanup(ns);
  });

  /**
   * One run of the shared workflow on a worker that SIGKILLs itself as it is about to publish an
   * event of type `dieOn`; returns when it is dead, with the run's id and parts to read Redis.
   */
  async function runUntilKilled(dieOn: string) {
    ns = newPrefix();
    const doomed = await spawnWorker(ns, 'work', dieOn);
    children.push(doomed.child);
    const parts = await publishOnly(ns, [createEvent({ type: 'test.shared', source: '/test' })]);
    await exited(doomed.child);
    expect(doomed.child.signalCode).toBe('SIGKILL');
    const runId = doomed.lines.find((l) => l.startsWith('DYING'))!.split(' ')[1]!;
    return { parts, runId, pid: doomed.child.pid };
  }

  it('two worker processes share the work and never run the same task twice', async () => {
    ns = newPrefix();
    const [w1, w2] = await Promise.all([spawnWorker(ns, 'work'), spawnWorker(ns, 'work')]);
    children.push(w1.child, w2.child);
    const runs = 60;
    const parts = await publishOnly(
      ns,
      Array.from({ length: runs }, () => createEvent({ type: 'test.shared', source: '/test' })),
    );
    await waitFor(
      async () => (await client.llen(`${ns}executions`)) === runs * 3,
      'every task to run',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 200));
    const executions = await client.lrange(`${ns}executions`, 0, -1);
    const tasks = executions.map((e) => e.split(':').slice(0, 2).join(':'));
    expect(executions).toHaveLength(runs * 3);
    expect(new Set(tasks).size).toBe(runs * 3);
    const pids = new Set(executions.map((e) => e.split(':')[2]));
    expect(pids).toEqual(new Set([String(w1.child.pid), String(w2.child.pid)]));
    await parts.close();
  });

  it('a worker killed with SIGKILL mid-task loses nothing: another process finishes the run after the lease expires', async () => {
    ns = newPrefix();
    const doomed = await spawnWorker(ns, 'hang');
    children.push(doomed.child);
    const recorder = new EventRecorder();
    const parts = await publishOnly(ns, [createEvent({ type: 'test.crashy', source: '/test' })]);
    const started = await waitFor(
      () => doomed.lines.find((l) => l.startsWith('STARTED')),
      'the task to start',
      20_000,
    );
    const runId = started.split(' ')[1]!;
    doomed.child.kill('SIGKILL');
    await exited(doomed.child);
    await parts.close();

    // A second process takes over; its sweeper finds the expired lease.
    handle = await startApp(redis, ns, recordingWorkflows(ns), [recorder.consumer()], {
      orchestrator: { leaseGraceMs: 100 },
    });
    const sweeper = setInterval(() => void handle?.app.sweep(), 100);
    try {
      await waitFor(
        async () => (await handle!.app.orchestrator.getRun(runId))?.status === 'completed',
        'the run to complete',
        20_000,
      );
    } finally {
      clearInterval(sweeper);
    }
    const run = await handle.app.orchestrator.getRun(runId);
    const slow = run!.tasks.find((t) => t.name === 'slow')!;
    expect(slow).toMatchObject({
      state: 'completed',
      attempt: 2,
      result: { finishedBy: process.pid, attempt: 2 },
    });
    const failed = recorder.data('orchestration.task.failed');
    expect(failed).toEqual([
      expect.objectContaining({ name: 'slow', attempt: 1, error: 'lease expired', will_retry: true }),
    ]);
    // Each task's result was recorded exactly once.
    const executions = await client.lrange(`${ns}executions`, 0, -1);
    expect(executions.map((e) => e.split(':').slice(0, 3).join(':'))).toEqual([
      `${runId}:slow:2`,
      `${runId}:after:1`,
    ]);
    await waitFor(() => recorder.ofType('orchestration.workflow.completed')[0], 'workflow.completed');
    expect(recorder.data('orchestration.task.completed').map((c) => c.name)).toEqual(['slow', 'after']);
  });

  it('a process killed after a run ended, before publishing its end: the sweeper of another publishes it', async () => {
    const { parts, runId } = await runUntilKilled('orchestration.workflow.');
    // The run ended in Redis; its end event never reached the log.
    expect((await parts.store.getRun(runId))?.status).toBe('completed');
    const ends = async () =>
      (await parts.store.readEvents({ limit: 1_000, types: ['orchestration.workflow.completed'] })).length;
    expect(await ends()).toBe(0);
    await parts.close();

    const recorder = new EventRecorder();
    handle = await startApp(
      redis,
      ns,
      sharedWorkflows({ mode: 'work', record: async () => {}, announce: () => {} }),
      [recorder.consumer('orchestration.workflow.*')],
    );
    const sweeper = setInterval(() => void handle?.app.sweep(), 50);
    try {
      const end = await waitFor(
        () => recorder.ofType('orchestration.workflow.completed')[0],
        'the run end',
        10_000,
      );
      expect(end).toMatchObject({ id: `${runId}:completed`, subject: runId });
      expect(end.data).toMatchObject({ run_id: runId, status: 'completed', results: { a: 1, b: 2, c: 3 } });
      // Announced: later sweeps, past the grace period again, publish it no more.
      await new Promise((r) => setTimeout(r, 800));
    } finally {
      clearInterval(sweeper);
    }
    expect(recorder.ofType('orchestration.workflow.completed')).toHaveLength(1);
    expect(
      (await handle.parts.store.readEvents({ limit: 1_000, types: ['orchestration.workflow.completed'] }))
        .length,
    ).toBe(1);
  });

  it('a process killed after recording a completion, before reporting it: the redelivered invocation reports it and releases what it unblocked', async () => {
    const { parts, runId, pid } = await runUntilKilled('orchestration.task.completed');
    // Recorded in Redis: `a` completed; what it released waits for an invocation that never went out.
    const states = async () =>
      Object.fromEntries((await parts.store.getRun(runId))!.tasks.map((t) => [t.name, t.state]));
    expect(await states()).toEqual({ a: 'completed', b: 'queued', c: 'queued' });
    await parts.close();

    const recorder = new EventRecorder();
    handle = await startApp(redis, ns, recordingWorkflows(ns), [recorder.consumer()]);
    // No sweeper: the queued timeout (5 min) would release b and c only much later.
    await waitFor(
      () => recorder.ofType('orchestration.workflow.completed')[0],
      'the run to complete',
      15_000,
    );
    const completed = recorder.ofType('orchestration.task.completed');
    expect(completed.map((e) => e.id).sort()).toEqual([
      `${runId}:a:1:completed`,
      `${runId}:b:1:completed`,
      `${runId}:c:1:completed`,
    ]);
    expect(completed.find((e) => e.id.startsWith(`${runId}:a:`))!.data).toMatchObject({
      name: 'a',
      result: 1,
    });
    expect(recorder.ofType('orchestration.task.started').map((e) => e.id)).toContain(`${runId}:a:1:started`);
    expect(
      recorder
        .ofType('orchestration.task.created')
        .map((e) => e.id)
        .sort(),
    ).toEqual([`${runId}:b:created`, `${runId}:c:created`]);
    // Each task ran once: a in the first process, b and c in the second.
    const executions = await client.lrange(`${ns}executions`, 0, -1);
    expect(executions.map((e) => e.split(':').slice(1).join(':')).sort()).toEqual([
      `a:${pid}`,
      `b:${process.pid}`,
      `c:${process.pid}`,
    ]);
  });

  it('workers killed at random while runs flow: every run completes and its end reaches a consumer', {
    timeout: 90_000,
  }, async () => {
    ns = newPrefix();
    const spawnOne = async () => {
      const w = await spawnWorker(ns, 'work', undefined, true);
      children.push(w.child);
      return w;
    };
    const workers = await Promise.all([spawnOne(), spawnOne()]);
    // This process sweeps and publishes (one slot: the workers do the work, and die). Like every
    // process, it has the consumer that lists run ends in Redis.
    handle = await startApp(redis, ns, recordingWorkflows(ns), [endsLedger(client, ns)], {
      slots: 1,
      orchestrator: { leaseGraceMs: 100, runEndGraceMs: 300 },
    });
    const ends = async () =>
      new Set((await client.lrange(`${ns}ends`, 0, -1)).map((e) => e.slice(0, e.indexOf('|'))));
    const runs = 60;
    await handle.app.publish(
      Array.from({ length: runs }, () => createEvent({ type: 'test.chaos', source: '/test' })),
    );
    const sweeper = setInterval(() => void handle?.app.sweep(), 100);
    try {
      for (let kill = 0; kill < 4; kill++) {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 200)));
        const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0]!;
        victim.child.kill('SIGKILL');
        await exited(victim.child);
        workers.push(await spawnOne());
      }
      await waitFor(async () => (await ends()).size === runs, 'every run end to reach the consumer', 40_000);
    } finally {
      clearInterval(sweeper);
    }
    const received = await client.lrange(`${ns}ends`, 0, -1);
    // Copies of one end carry its id.
    for (const entry of received) {
      const [runId, id] = entry.split('|');
      expect(id).toBe(`${runId}:completed`);
    }
    for (const runId of await ends()) {
      const run = await handle.app.orchestrator.getRun(runId);
      expect(run?.status).toBe('completed');
      expect(run?.tasks.map((t) => [t.name, t.state, t.result])).toEqual([
        ['a', 'completed', 1],
        ['b', 'completed', 2],
        ['c', 'completed', 3],
      ]);
    }
  });
});
