import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, defineWorkflow, NonRetriableError } from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, BACKENDS, startApp } from './backends.js';

const fast = { baseDelayMs: 5, maxDelayMs: 10 };

/** Per-test knobs the workflows read (the workflows live in this process). */
const control = {
  failuresBeforeSuccess: 0,
  calls: 0,
  compensations: [] as string[],
  failCompensation: false,
};

const flaky = defineWorkflow({ name: 'flaky', triggers: [{ type: 'test.flaky' }] }).task(
  'unstable',
  { retry: { maxAttempts: 3, ...fast } },
  async () => {
    control.calls++;
    if (control.calls <= control.failuresBeforeSuccess) throw new Error(`boom #${control.calls}`);
    return { ok: true, calls: control.calls };
  },
);

const saga = defineWorkflow({ name: 'saga', triggers: [{ type: 'test.saga' }] })
  .task(
    'reserve',
    { retry: { maxAttempts: 2, ...fast } },
    {
      run: async () => ({ reservation: 'r-1' }),
      compensate: async (ctx) => {
        control.compensations.push(`release ${ctx.result.reservation}`);
      },
    },
  )
  .task(
    'charge',
    { dependsOn: ['reserve'], retry: { maxAttempts: 2, ...fast } },
    {
      run: async () => ({ charge: 'c-1' }),
      compensate: async (ctx) => {
        if (control.failCompensation) throw new NonRetriableError('refund service down');
        control.compensations.push(`refund ${ctx.result.charge}`);
      },
    },
  )
  .task('notify', { dependsOn: ['charge'] }, async () => 'no compensation here')
  .task('ship', { dependsOn: ['charge', 'notify'], retry: { maxAttempts: 2, ...fast } }, async () => {
    throw new Error('carrier rejected the parcel');
  })
  .task('invoice', { dependsOn: ['ship'] }, async () => 'never runs');

const slow = defineWorkflow({ name: 'slow', triggers: [{ type: 'test.slow' }] }).task(
  'hang',
  { timeout: 50, retry: { maxAttempts: 2, ...fast } },
  async (ctx) => {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    return 'aborted';
  },
);

describe.each(BACKENDS)('failures on $name', (backend) => {
  let handle: AppHandle | undefined;
  let ns = '';
  const recorder = new EventRecorder();

  async function start(): Promise<AppHandle> {
    ns = newPrefix();
    recorder.events.length = 0;
    Object.assign(control, {
      failuresBeforeSuccess: 0,
      calls: 0,
      compensations: [],
      failCompensation: false,
    });
    handle = await startApp(backend, ns, [flaky, saga, slow], [recorder.consumer()]);
    return handle;
  }

  afterEach(async () => {
    await handle?.stop();
    await backend.cleanup(ns);
  });

  it('retries a failing task with backoff, then succeeds', async () => {
    const { app } = await start();
    control.failuresBeforeSuccess = 2;
    await app.publish(createEvent({ type: 'test.flaky', source: '/test' }));
    await waitFor(() => recorder.ofType('orchestration.workflow.completed')[0], 'workflow.completed');
    const failed = recorder.data('orchestration.task.failed');
    expect(failed.map((f) => [f.attempt, f.will_retry, f.error])).toEqual([
      [1, true, 'Error: boom #1'],
      [2, true, 'Error: boom #2'],
    ]);
    for (const f of failed) expect(typeof f.next_attempt_at).toBe('string');
    expect(recorder.data('orchestration.task.completed')[0]).toMatchObject({
      attempt: 3,
      result: { calls: 3 },
    });
    expect(await app.store.listDlq({ limit: 10 })).toEqual([]);
  });

  it('exhausted retries put the task in the DLQ, raise an alert and fail the run', async () => {
    const { app } = await start();
    control.failuresBeforeSuccess = 99;
    await app.publish(createEvent({ type: 'test.flaky', source: '/test' }));
    const ended = await waitFor(() => recorder.ofType('orchestration.workflow.failed')[0], 'workflow.failed');
    expect(ended.data).toMatchObject({ status: 'failed', failed_task: 'unstable', error: 'Error: boom #3' });
    const last = recorder.data('orchestration.task.failed').at(-1);
    expect(last).toMatchObject({ attempt: 3, will_retry: false });
    const alert = await waitFor(() => recorder.data('orchestration.alert')[0], 'alert');
    expect(alert).toMatchObject({ severity: 'error', reason: 'task_failed', task: 'unstable' });
    const [entry] = await app.store.listDlq({ limit: 10 });
    expect(entry).toMatchObject({ kind: 'task', task: 'unstable', attempts: 3, lastError: 'Error: boom #3' });
    expect(alert.dlq_id).toBe(entry?.id);
  });

  it('a final failure compensates completed tasks in reverse order and skips the rest', async () => {
    const { app } = await start();
    await app.publish(createEvent({ type: 'test.saga', source: '/test' }));
    const ended = await waitFor(
      () => recorder.ofType('orchestration.workflow.compensated')[0],
      'compensated',
    );
    expect(ended.data).toMatchObject({ status: 'compensated', failed_task: 'ship' });
    expect(control.compensations).toEqual(['refund c-1', 'release r-1']);
    const run = await app.orchestrator.getRun((ended.data as { run_id: string }).run_id);
    expect(Object.fromEntries(run!.tasks.map((t) => [t.name, t.state]))).toEqual({
      reserve: 'compensated',
      charge: 'compensated',
      notify: 'completed',
      ship: 'failed',
      invoice: 'skipped',
    });
  });

  it('a failing compensation ends the run failed, after compensating the others', async () => {
    const { app } = await start();
    control.failCompensation = true;
    await app.publish(createEvent({ type: 'test.saga', source: '/test' }));
    const ended = await waitFor(() => recorder.ofType('orchestration.workflow.failed')[0], 'workflow.failed');
    expect(control.compensations).toEqual(['release r-1']);
    const run = await app.orchestrator.getRun((ended.data as { run_id: string }).run_id);
    expect(run?.tasks.find((t) => t.name === 'charge')?.state).toBe('compensation_failed');
    expect(run?.tasks.find((t) => t.name === 'reserve')?.state).toBe('compensated');
    const alerts = recorder.data('orchestration.alert');
    expect(alerts.map((a) => a.reason)).toContain('compensation_failed');
  });

  it('an invocation no process can run ends in the DLQ once the transport gives up on it', async () => {
    const { app } = await start();
    // A task of a workflow this app does not know (an older release's, say): every delivery is refused.
    await app.transport.enqueue([
      {
        invocation: {
          kind: 'task',
          runId: 'run_gone',
          workflow: 'retired',
          task: 'old',
          attempt: 1,
          phase: 'execute',
        },
      },
    ]);
    const [entry] = await waitFor(async () => {
      const list = await app.store.listDlq({ limit: 10, kind: 'task' });
      return list.length > 0 ? list : undefined;
    }, 'the DLQ entry');
    expect(entry).toMatchObject({
      kind: 'task',
      reason: 'transport gave up',
      runId: 'run_gone',
      task: 'old',
      attempts: 4,
      lastError: 'unknown task retired/old',
    });
  });

  it('a task past its timeout is aborted and retried, then fails', async () => {
    const { app } = await start();
    await app.publish(createEvent({ type: 'test.slow', source: '/test' }));
    await waitFor(() => recorder.ofType('orchestration.workflow.failed')[0], 'workflow.failed');
    const failed = recorder.data('orchestration.task.failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]?.error).toMatch(/TaskTimeoutError: task 'hang' timed out after 50 ms/);
    expect(failed.map((f) => f.will_retry)).toEqual([true, false]);
  });
});
