import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerOrchestrationSchemas } from '../../src/bridge/event-schemas.js';
import { SchemaRegistry, validateEnvelope } from '../../src/events/index.js';
import { createEvent, defineTask, defineWorkflow, trigger } from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, BACKENDS, startApp } from './backends.js';

const chain = defineWorkflow({
  name: 'chain',
  input: z.object({ n: z.number() }),
  triggers: [trigger({ type: 'test.chain.requested', schema: z.object({ n: z.number() }) })],
})
  .task('a', async (ctx) => ctx.input.n + 1)
  .task('b', { dependsOn: ['a'] }, async (ctx) => ctx.deps.a * 2)
  .task('c', { dependsOn: ['b'] }, async (ctx) => `result:${ctx.deps.b}`);

const echo = defineTask('echo', {}, async (ctx) => ({ echoed: ctx.input }));

// What task code sees of its context: the documented fields (spreadable), nothing of the engine.
const inspect = defineTask('inspect', {}, async (ctx) => {
  ctx.logger.info('inspecting');
  return {
    keys: Object.keys(ctx).sort(),
    signalAborted: ctx.signal.aborted,
    idempotencyKey: ctx.idempotencyKey,
    taskName: ctx.taskName,
    attempt: ctx.attempt,
  };
});

describe.each(BACKENDS)('event -> workflow -> result events on $name', (backend) => {
  let handle: AppHandle | undefined;
  let ns = '';

  it('gives task code its context fields as a plain object', async () => {
    ns = newPrefix();
    handle = await startApp(backend, ns, [inspect]);
    const { runId } = await handle.app.orchestrator.startRun({ workflow: 'inspect', input: { x: 1 } });
    const run = await waitFor(async () => {
      const view = await handle?.app.orchestrator.getRun(runId);
      return view?.status === 'completed' ? view : undefined;
    }, 'inspect run completed');
    expect(run.tasks[0]?.result).toEqual({
      keys: [
        'attempt',
        'deps',
        'idempotencyKey',
        'input',
        'logger',
        'meta',
        'runId',
        'signal',
        'taskName',
        'workflow',
      ],
      signalAborted: false,
      idempotencyKey: `${runId}:inspect`,
      taskName: 'inspect',
      attempt: 1,
    });
  });

  afterEach(async () => {
    await handle?.stop();
    await backend.cleanup(ns);
  });

  it('runs a declared trigger through A -> B -> C and publishes every lifecycle event in order', async () => {
    ns = newPrefix();
    const recorder = new EventRecorder();
    handle = await startApp(backend, ns, [chain, echo], [recorder.consumer()]);
    const trigger = createEvent({ type: 'test.chain.requested', source: '/test', data: { n: 4 } });
    await handle.app.publish(trigger);

    const done = await waitFor(
      () => recorder.ofType('orchestration.workflow.completed')[0],
      'workflow.completed',
    );
    expect(done.data).toMatchObject({
      workflow: 'chain',
      status: 'completed',
      results: { a: 5, b: 10, c: 'result:10' },
    });
    expect(done.correlationid).toBe(trigger.id);
    expect(done.causationid).toBe(trigger.id);

    const runId = (done.data as { run_id: string }).run_id;
    const run = await handle.app.orchestrator.getRun(runId);
    expect(run?.status).toBe('completed');
    expect(run?.tasks.map((t) => [t.name, t.state])).toEqual([
      ['a', 'completed'],
      ['b', 'completed'],
      ['c', 'completed'],
    ]);

    // Task events arrive in lifecycle order per task, and B starts only after A completed.
    const started = recorder.data('orchestration.task.started').map((d) => d.name);
    expect(started).toEqual(['a', 'b', 'c']);
    for (const type of ['created', 'started', 'completed']) {
      const events = recorder.ofType(`orchestration.task.${type}`);
      expect(events).toHaveLength(3);
      for (const e of events) {
        expect(e.correlationid).toBe(trigger.id);
        expect((e.data as { trigger_event_id: string }).trigger_event_id).toBe(trigger.id);
      }
    }
    // Every lifecycle event is a valid CloudEvent whose data matches its published schema.
    const schemas = registerOrchestrationSchemas(new SchemaRegistry());
    const lifecycle = recorder.events.filter((e) => e.type.startsWith('orchestration.'));
    expect(lifecycle.length).toBeGreaterThanOrEqual(10);
    for (const e of lifecycle) {
      expect(validateEnvelope(JSON.parse(JSON.stringify(e))).ok, e.type).toBe(true);
      expect(schemas.validate(e).ok, e.type).toBe(true);
      expect(e).toMatchObject({ specversion: '1.0', source: '/waooaw/orchestrator', subject: runId });
    }
  });

  it('runs a single task from orchestration.task.trigger and reports its result', async () => {
    ns = newPrefix();
    const recorder = new EventRecorder();
    handle = await startApp(backend, ns, [chain, echo], [recorder.consumer()]);
    await handle.app.publish(
      createEvent({
        type: 'orchestration.task.trigger',
        source: '/test',
        data: { task_name: 'echo', args: { hello: 'world' }, priority: 'HIGH' },
      }),
    );
    const completed = await waitFor(
      () => recorder.ofType('orchestration.task.completed')[0],
      'task.completed',
    );
    expect(completed.data).toMatchObject({
      name: 'echo',
      result: { echoed: { hello: 'world' } },
      attempt: 1,
    });
    const created = recorder.data('orchestration.task.created')[0];
    expect(created).toMatchObject({ name: 'echo', priority: 'HIGH' });
  });
});
