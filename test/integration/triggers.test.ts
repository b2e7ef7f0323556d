import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEvent, defineTask, defineWorkflow, EventValidationError, trigger } from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, BACKENDS, startApp } from './backends.js';

const executions: string[] = [];
const gate = { open: Promise.resolve(), release: () => {} };

const order = defineWorkflow({
  name: 'order',
  input: z.object({ orderId: z.string(), customer: z.string(), seq: z.number() }),
  triggers: [
    trigger({
      type: 'test.order.placed',
      schema: z.object({ orderId: z.string(), customer: z.string(), seq: z.number() }),
      orderingKey: (data) => data.customer,
    }),
  ],
})
  .task('accept', async (ctx) => {
    executions.push(`${ctx.input.customer}#${ctx.input.seq}`);
    return ctx.input.orderId;
  })
  .task('pack', { dependsOn: ['accept'] }, async (ctx) => `packed ${ctx.deps.accept}`);

const blocking = defineWorkflow({ name: 'blocking', triggers: [{ type: 'test.blocking' }] })
  .task('wait', async (ctx) => {
    await Promise.race([gate.open, new Promise((r) => ctx.signal.addEventListener('abort', r))]);
    return 'released';
  })
  .task('after', { dependsOn: ['wait'] }, async () => {
    executions.push('after');
    return 'ran';
  });

/** Its mapping reads a field some events lack; so does its ordering key. */
const mapped = defineWorkflow({
  name: 'mapped',
  triggers: [
    {
      type: 'test.mapped',
      input: (data: unknown) => ({ account: (data as { account: { id: string } }).account.id }),
      orderingKey: (data: unknown) => (data as { region: { code: string } }).region.code,
    },
  ],
}).task('note', async (ctx) => {
  executions.push(`mapped:${(ctx.input as { account: string }).account}`);
  return 'noted';
});

const once = defineTask('once', {}, async (ctx) => {
  executions.push(`once:${ctx.runId}`);
  return 'done';
});

describe.each(BACKENDS)('triggers on $name', (backend) => {
  let handle: AppHandle | undefined;
  let ns = '';
  const recorder = new EventRecorder();

  async function start(): Promise<AppHandle> {
    ns = newPrefix();
    recorder.events.length = 0;
    executions.length = 0;
    handle = await startApp(backend, ns, [order, blocking, once, mapped], [recorder.consumer()]);
    return handle;
  }

  afterEach(async () => {
    gate.release();
    await handle?.stop();
    await backend.cleanup(ns);
  });

  it('the same trigger event delivered twice starts one run', async () => {
    const { app } = await start();
    const event = createEvent({
      type: 'orchestration.task.trigger',
      source: '/test',
      data: { task_name: 'once' },
    });
    await app.publish(event);
    await app.publish(event);
    await app.publish(
      createEvent({
        type: 'orchestration.task.trigger',
        source: '/test',
        data: { task_name: 'once', idempotency_key: 'k1' },
      }),
    );
    await app.publish(
      createEvent({
        type: 'orchestration.task.trigger',
        source: '/test',
        data: { task_name: 'once', idempotency_key: 'k1' },
      }),
    );
    await waitFor(() => recorder.ofType('orchestration.workflow.completed').length >= 2, 'two runs');
    await new Promise((r) => setTimeout(r, 100));
    expect(executions).toHaveLength(2);
    expect(recorder.ofType('orchestration.workflow.completed')).toHaveLength(2);
  });

  it('events of two sources that share an id start a run each', async () => {
    const { app } = await start();
    for (const source of ['/shop-eu', '/shop-us']) {
      await app.publish(
        createEvent({ type: 'orchestration.task.trigger', source, id: '42', data: { task_name: 'once' } }),
      );
    }
    await waitFor(() => recorder.ofType('orchestration.workflow.completed').length === 2, 'two runs');
    expect(new Set(executions).size).toBe(2);
  });

  it('a trigger whose input mapping throws is rejected; one whose ordering key throws still runs', async () => {
    const { app } = await start();
    // No account: the mapping cannot make an input, which no retry changes.
    const bad = createEvent({ type: 'test.mapped', source: '/test', data: { region: { code: 'eu' } } });
    await app.publish(bad);
    const rejected = await waitFor(
      () => recorder.data('orchestration.trigger.rejected')[0],
      'trigger.rejected',
    );
    expect(rejected).toMatchObject({ event_id: bad.id });
    expect(String(rejected.reason)).toMatch(/input mapping failed/);
    const [entry] = await waitFor(async () => {
      const list = await app.store.listDlq({ limit: 10, kind: 'trigger' });
      return list.length > 0 ? list : undefined;
    }, 'DLQ entry');
    expect(entry).toMatchObject({ kind: 'trigger', attempts: 1 });
    // No region: no ordering key, and the run starts all the same.
    await app.publish(createEvent({ type: 'test.mapped', source: '/test', data: { account: { id: 'a1' } } }));
    await waitFor(() => executions.includes('mapped:a1'), 'the run without an ordering key');
  });

  it('events with the same ordering key start their runs in publish order', async () => {
    const { app } = await start();
    const events = [];
    for (let seq = 0; seq < 12; seq++) {
      const customer = seq % 2 === 0 ? 'alice' : 'bob';
      events.push(
        createEvent({
          type: 'test.order.placed',
          source: '/test',
          data: { orderId: `o${seq}`, customer, seq },
        }),
      );
    }
    await app.publish(events);
    await waitFor(() => recorder.ofType('orchestration.workflow.completed').length === 12, 'twelve runs');
    const alice = executions.filter((e) => e.startsWith('alice')).map((e) => Number(e.split('#')[1]));
    const bob = executions.filter((e) => e.startsWith('bob')).map((e) => Number(e.split('#')[1]));
    expect(alice).toEqual([0, 2, 4, 6, 8, 10]);
    expect(bob).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it('cancelling a run aborts its running task and stops its dependents', async () => {
    const { app } = await start();
    gate.open = new Promise<void>((resolve) => {
      gate.release = resolve;
    });
    const event = createEvent({ type: 'test.blocking', source: '/test' });
    await app.publish(event);
    const started = await waitFor(() => recorder.data('orchestration.task.started')[0], 'task started');
    const runId = started.run_id as string;
    expect((await app.orchestrator.cancelRun(runId)).ok).toBe(true);
    const cancelled = await waitFor(
      () => recorder.ofType('orchestration.workflow.cancelled')[0],
      'cancelled event',
    );
    expect(cancelled.causationid).toBe(event.id);
    gate.release();
    await new Promise((r) => setTimeout(r, 100));
    const run = await app.orchestrator.getRun(runId);
    expect(run?.status).toBe('cancelled');
    expect(run?.tasks.find((t) => t.name === 'after')?.state).toBe('cancelled');
    expect(executions).not.toContain('after');
    expect(await app.orchestrator.cancelRun(runId)).toMatchObject({ ok: false });
  });

  it('a trigger naming an unknown workflow goes to the DLQ and is reported', async () => {
    const { app } = await start();
    const event = createEvent({
      type: 'orchestration.workflow.start',
      source: '/test',
      data: { workflow: 'nope' },
    });
    await app.publish(event);
    const rejected = await waitFor(
      () => recorder.data('orchestration.trigger.rejected')[0],
      'trigger.rejected',
    );
    expect(rejected).toMatchObject({ event_id: event.id, reason: "unknown workflow 'nope'" });
    const [entry] = await waitFor(async () => {
      const list = await app.store.listDlq({ limit: 10, kind: 'trigger' });
      return list.length > 0 ? list : undefined;
    }, 'DLQ entry');
    expect(entry).toMatchObject({
      kind: 'trigger',
      subscriptionId: 'orchestration.workflow-start',
      attempts: 1,
    });
    expect(entry?.event?.id).toBe(event.id);
  });

  it('a trigger whose data fails the declared schema is rejected with the field named', async () => {
    const { app } = await start();
    await app.publish(
      createEvent({ type: 'test.order.placed', source: '/test', data: { orderId: 'o1', seq: 1 } }),
    );
    const rejected = await waitFor(
      () => recorder.data('orchestration.trigger.rejected')[0],
      'trigger.rejected',
    );
    expect(String(rejected.reason)).toMatch(/customer/);
    expect(recorder.ofType('orchestration.task.created')).toHaveLength(0);
  });

  it('a malformed orchestration event is refused at publish and nothing is written', async () => {
    const { app } = await start();
    const before = await app.store.readEvents({ limit: 1000 });
    const bad = createEvent({ type: 'orchestration.task.trigger', source: '/test', data: { args: [1] } });
    const good = createEvent({ type: 'test.other', source: '/test' });
    const error = await app.publish([good, bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues[0]?.path).toBe('[1].data.task_name');
    expect(await app.store.readEvents({ limit: 1000 })).toHaveLength(before.length);
  });
});
