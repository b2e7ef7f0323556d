/**
 * A state change made in Redis whose reply never comes back (the connection dropped right after):
 * the caller sends it again with its token, and the store answers with the first call's effects.
 * The trigger event is delivered (its append is not taken for a duplicate), and the run finishes at
 * once, each task run once, instead of waiting for a lease to expire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, createWaooaw, defineWorkflow, type Store, type Waooaw } from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { BACKENDS, type Parts } from './backends.js';

const RESENT = ['appendEvents', 'createRun', 'leaseAttempt', 'completeAttempt', 'failAttempt'] as const;

/**
 * The store as seen through a connection that drops after every first state change of a kind:
 * the change is made, the caller gets an error instead of the reply.
 */
function losingFirstReplies(store: Store): { store: Store; lost: string[] } {
  const lost: string[] = [];
  const seen = new Set<string>();
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (!(RESENT as readonly (string | symbol)[]).includes(prop)) return value.bind(target);
      return async (...args: unknown[]) => {
        const reply = await value.apply(target, args);
        const input = args[0] as { runId: string; task?: string; attempt?: number } | { id: string }[];
        const about = Array.isArray(input)
          ? input.map((e) => e.id).join(',')
          : `${input.runId} ${input.task ?? ''} ${input.attempt ?? ''}`;
        const key = `${String(prop)} ${about}`;
        if (seen.has(key)) return reply;
        seen.add(key);
        lost.push(key);
        throw new Error('Connection is closed.');
      };
    },
  });
  return { store: wrapped, lost };
}

const executions: string[] = [];
let failuresLeft = 0;
const flow = defineWorkflow({ name: 'lossy', triggers: [{ type: 'test.lossy' }] })
  .task('a', async (ctx) => {
    executions.push(`${ctx.runId}:a:${ctx.attempt}`);
    if (failuresLeft-- > 0) throw new Error('flaky');
    return 1;
  })
  .task('b', { dependsOn: ['a'] }, async (ctx) => {
    executions.push(`${ctx.runId}:b:${ctx.attempt}`);
    return ctx.deps.a + 1;
  });

describe.each(BACKENDS)('lost replies on $name', (backend) => {
  let app: Waooaw | undefined;
  let parts: Parts | undefined;
  let ns = '';

  afterEach(async () => {
    await app?.stop();
    await parts?.close();
    await backend.cleanup(ns);
  });

  it('sends a change again with its token and the run goes on, each task run once', async () => {
    ns = newPrefix();
    executions.length = 0;
    failuresLeft = 1;
    parts = backend.parts(ns);
    const { store, lost } = losingFirstReplies(parts.store);
    const recorder = new EventRecorder();
    app = createWaooaw({
      store,
      transport: parts.transport,
      workflows: [flow],
      consumers: [recorder.consumer('orchestration.workflow.*')],
      bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    });
    await app.start();
    await app.publish(createEvent({ type: 'test.lossy', source: '/test' }));
    // The lease a lost reply made would otherwise hold the task until it expired (minutes).
    await waitFor(() => recorder.events.length === 1, 'the run to end', 8_000);
    const ended = recorder.events[0]!;
    expect(ended.type).toBe('orchestration.workflow.completed');
    const { results, run_id: runId } = ended.data as { results: unknown; run_id: string };
    expect(results).toEqual({ a: 1, b: 2 });
    // a failed once and ran again (attempt 2), b once: no attempt ran twice.
    expect(executions).toEqual([`${runId}:a:1`, `${runId}:a:2`, `${runId}:b:1`]);
    // Every kind of change lost its first reply at least once.
    for (const kind of RESENT) expect(lost.some((l) => l.startsWith(kind))).toBe(true);
    // Only one run was created, its tasks' lifecycle is whole.
    const view = await parts.store.getRun(runId);
    expect(view?.tasks.map((t) => [t.name, t.state, t.attempt])).toEqual([
      ['a', 'completed', 2],
      ['b', 'completed', 1],
    ]);
  });

  it("lets a producer's retry through when the fan-out of a logged event failed", async () => {
    ns = newPrefix();
    executions.length = 0;
    failuresLeft = 0;
    parts = backend.parts(ns);
    const transport = parts.transport;
    // The queue refuses the first enqueue for good (a Redis at its memory limit), after the event was
    // logged.
    let refusals = 1;
    const failingOnce = new Proxy(transport, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== 'enqueue') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          if (refusals-- > 0) {
            throw Object.assign(new Error('OOM command not allowed when used memory > maxmemory'), {
              name: 'ReplyError',
            });
          }
          return value.apply(target, args);
        };
      },
    });
    const recorder = new EventRecorder();
    app = createWaooaw({
      store: parts.store,
      transport: failingOnce,
      workflows: [flow],
      consumers: [recorder.consumer('orchestration.workflow.*')],
      bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    });
    await app.start();
    const event = createEvent({ type: 'test.lossy', source: '/test' });
    await expect(app.publish(event)).rejects.toThrow('OOM');
    // The producer retries the same event: accepted, not a duplicate, and delivered.
    const retried = await app.publish(event);
    expect(retried.events).toEqual([{ id: event.id, seq: expect.any(String) }]);
    expect(retried.deliveries).toBe(1);
    await waitFor(() => recorder.events.length === 1, 'the run to end', 8_000);
    expect(recorder.events[0]!.type).toBe('orchestration.workflow.completed');
  });

  it('goes on when a lifecycle event of a recorded outcome cannot be published', async () => {
    ns = newPrefix();
    executions.length = 0;
    failuresLeft = 0;
    parts = backend.parts(ns);
    // The log refuses every task.started event (an answer, so it is not sent again).
    const refusing = new Proxy(parts.store, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop !== 'appendEvents') return value.bind(target);
        return async (...args: unknown[]) => {
          const events = args[0] as { type: string }[];
          if (events.some((e) => e.type === 'orchestration.task.started')) {
            throw Object.assign(new Error('ERR log refused'), { name: 'ReplyError' });
          }
          return value.apply(target, args);
        };
      },
    });
    const recorder = new EventRecorder();
    app = createWaooaw({
      store: refusing,
      transport: parts.transport,
      workflows: [flow],
      consumers: [recorder.consumer('orchestration.workflow.*')],
      bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    });
    await app.start();
    await app.publish(createEvent({ type: 'test.lossy', source: '/test' }));
    // The completion of a is recorded: b must still be enqueued, though a's invocation failed to
    // publish its events (a redelivery would only find a stale attempt).
    await waitFor(() => recorder.events.length === 1, 'the run to end', 8_000);
    expect(recorder.events[0]!.type).toBe('orchestration.workflow.completed');
    expect(executions.map((e) => e.split(':').slice(1).join(':'))).toEqual(['a:1', 'b:1']);
  });
});
