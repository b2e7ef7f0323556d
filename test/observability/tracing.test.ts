import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, defineWorkflow, NonRetriableError } from '../../src/index.js';
import { ATTR, SPANS } from '../../src/observability/attributes.js';
import { type AppHandle, BACKENDS, startApp } from '../integration/backends.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { idOf, parentOf, registerTestTracing } from './trace-setup.js';

const tracing = registerTestTracing();
afterAll(() => tracing.shutdown());

const fast = { baseDelayMs: 5, maxDelayMs: 10 };
let calls = 0;

const traced = defineWorkflow({ name: 'traced', triggers: [{ type: 'test.traced' }] })
  .task('a', { retry: { maxAttempts: 3, ...fast } }, async () => {
    calls++;
    if (calls === 1) throw new Error('first attempt fails');
    return 'A';
  })
  .task('b', { dependsOn: ['a'] }, async (ctx) => `${ctx.deps.a}B`);

const undo = defineWorkflow({ name: 'undo', triggers: [{ type: 'test.undo' }] })
  .task('book', { run: async () => 'booked', compensate: async () => {} })
  .task('pay', { dependsOn: ['book'] }, async () => {
    throw new NonRetriableError('card declined');
  });

const named = (name: string) => (s: ReadableSpan) => s.name === name;
const attr = (s: ReadableSpan, key: string) => s.attributes[key];

describe.each(BACKENDS)('one trace from the trigger event to the last result on $name', (backend) => {
  let handle: AppHandle | undefined;
  let ns = '';
  const recorder = new EventRecorder();

  beforeEach(async () => {
    calls = 0;
    recorder.events.length = 0;
    ns = newPrefix();
    handle = await startApp(backend, ns, [traced, undo], [recorder.consumer()]);
    tracing.exporter.reset();
  });

  afterEach(async () => {
    await handle?.stop();
    await backend.cleanup(ns);
  });

  /** The finished `waooaw.deliver` span of the recorded event of `type` (and task `name`). */
  async function deliveryToRecorder(type: string, name?: string): Promise<ReadableSpan> {
    const event = await waitFor(
      () =>
        recorder.ofType(type).find((e) => name === undefined || (e.data as { name?: string }).name === name),
      type,
    );
    return waitFor(
      () =>
        tracing
          .spans()
          .find(
            (s) =>
              s.name === SPANS.deliver &&
              attr(s, ATTR.eventId) === event.id &&
              attr(s, ATTR.subscriptionId) === 'test.recorder',
          ),
      `delivery span of ${type}`,
    );
  }

  it('links publish -> deliver -> trigger -> task attempts -> lifecycle deliveries', async () => {
    const trigger = createEvent({ type: 'test.traced', source: '/test', data: {} });
    await handle!.app.publish(trigger);
    const completedDelivery = await deliveryToRecorder('orchestration.workflow.completed');
    const aCompletedDelivery = await deliveryToRecorder('orchestration.task.completed', 'a');

    const spans = tracing.spans();
    const publish = spans.find((s) => s.name === SPANS.publish && attr(s, ATTR.eventId) === trigger.id)!;
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(publish)).toBeUndefined();
    const traceId = publish.spanContext().traceId;
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));

    const deliver = spans.find((s) => s.name === SPANS.deliver && attr(s, ATTR.eventId) === trigger.id)!;
    expect(deliver.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(deliver)).toBe(idOf(publish));
    expect(deliver.attributes).toMatchObject({
      [ATTR.eventType]: 'test.traced',
      [ATTR.subscriptionId]: 'workflow.traced.test.traced',
      [ATTR.deliveryAttempt]: 1,
      [ATTR.messagingSystem]: 'waooaw',
    });

    const triggerSpan = spans.find(named(SPANS.trigger))!;
    expect(parentOf(triggerSpan)).toBe(idOf(deliver));
    const runId = attr(triggerSpan, ATTR.runId);
    expect(runId).toMatch(/^run_/);
    expect(triggerSpan.attributes).toMatchObject({ [ATTR.workflow]: 'traced', [ATTR.eventId]: trigger.id });

    const tasks = spans.filter(named(SPANS.task));
    const attempt = (task: string, n: number) =>
      tasks.find((s) => attr(s, ATTR.taskName) === task && attr(s, ATTR.taskAttempt) === n)!;
    const [a1, a2, b1] = [attempt('a', 1), attempt('a', 2), attempt('b', 1)];
    expect(parentOf(a1)).toBe(idOf(triggerSpan));
    expect(parentOf(a2)).toBe(idOf(a1)); // the failing attempt enqueued the retry
    expect(parentOf(b1)).toBe(idOf(a2)); // the completing attempt released b
    for (const s of [a1, a2, b1]) {
      expect(s.attributes).toMatchObject({ [ATTR.runId]: runId, [ATTR.workflow]: 'traced' });
    }
    expect(a1.status.code).toBe(SpanStatusCode.ERROR);
    expect(a1.status.message).toBe('first attempt fails');
    expect(a1.events.map((e) => e.name)).toContain('exception');
    expect(attr(a1, ATTR.taskOutcome)).toBe('retried');
    expect(a2.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(attr(b1, ATTR.taskOutcome)).toBe('completed');

    // Lifecycle events carry their attempt's span: their deliveries are its children.
    expect(parentOf(aCompletedDelivery)).toBe(idOf(a2));
    expect(parentOf(completedDelivery)).toBe(idOf(b1));
    const aCompleted = recorder
      .ofType('orchestration.task.completed')
      .find((e) => (e.data as { name: string }).name === 'a')!;
    expect(aCompleted.traceparent).toBe(`00-${traceId}-${idOf(a2)}-01`);
    const lifecyclePublish = spans.find(
      (s) => s.name === SPANS.publish && attr(s, ATTR.eventId) === aCompleted.id,
    )!;
    expect(parentOf(lifecyclePublish)).toBe(idOf(a2));
    // task.created of the root task is reported by the trigger span.
    const created = recorder
      .ofType('orchestration.task.created')
      .find((e) => (e.data as { name: string }).name === 'a')!;
    expect(created.traceparent).toContain(idOf(triggerSpan));
  });

  it('records a compensation attempt as a child of the failure that started the saga', async () => {
    await handle!.app.publish(createEvent({ type: 'test.undo', source: '/test', data: {} }));
    await deliveryToRecorder('orchestration.workflow.compensated');
    const spans = tracing.spans();
    const pay = spans.find((s) => s.name === SPANS.task && attr(s, ATTR.taskName) === 'pay')!;
    expect(pay.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(attr(pay, ATTR.taskOutcome)).toBe('failed');
    const exception = pay.events.find((e) => e.name === 'exception')!;
    expect(exception.attributes?.['exception.message']).toBe('card declined');
    const compensate = spans.find(named(SPANS.compensate))!;
    expect(compensate.attributes).toMatchObject({
      [ATTR.taskName]: 'book',
      [ATTR.taskPhase]: 'compensate',
      [ATTR.taskAttempt]: 1,
    });
    expect(parentOf(compensate)).toBe(idOf(pay));
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });
});
