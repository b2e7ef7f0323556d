/**
 * A state change made in Redis whose reply never comes back (the connection dropped right after):
 * the caller sends it again with its token, and the store answers with the first call's effects.
 * The trigger event is delivered (its append is not taken for a duplicate), and the run finishes at
 * once, each task run once, instead of waiting for a lease to expire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, defineWorkflow } from '../../src/index.js';
import { MemoryMetrics } from '../../src/observability/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, BACKENDS, type Parts, startApp } from './backends.js';

const RESENT = ['appendEvents', 'createRun', 'leaseAttempt', 'completeAttempt', 'failAttempt'] as const;

type Method = (...args: unknown[]) => Promise<unknown>;

/** `target` with the methods named replaced by `around(method, args, name)`; the rest as they are. */
function intercept<T extends object>(
  target: T,
  names: readonly string[],
  around: (method: Method, args: unknown[], name: string) => Promise<unknown>,
): T {
  return new Proxy(target, {
    get(object, prop, receiver) {
      const value = Reflect.get(object, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value.bind(object) as Method;
      return names.includes(String(prop))
        ? (...args: unknown[]) => around(method, args, String(prop))
        : method;
    },
  });
}

/** A server's refusal: an answer, so it is not sent again. */
const refusal = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

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
  let handle: AppHandle | undefined;
  let ns = '';
  const recorder = new EventRecorder();

  afterEach(async () => {
    await handle?.stop();
    await backend.cleanup(ns);
  });

  /** An app on the backend with the given store or transport in front of its own. */
  const start = async (
    failures: number,
    wrap: Parameters<typeof startApp>[5],
    { pattern = 'orchestration.workflow.*', metrics }: { pattern?: string; metrics?: MemoryMetrics } = {},
  ) => {
    ns = newPrefix();
    executions.length = 0;
    failuresLeft = failures;
    recorder.events.length = 0;
    handle = await startApp(
      backend,
      ns,
      [flow],
      [recorder.consumer(pattern)],
      metrics ? { metrics } : {},
      wrap,
    );
    return handle;
  };

  /** Lifecycle events counted lost, by reason. */
  const lost = async (metrics: MemoryMetrics) =>
    (await metrics.snapshot()).counters
      .filter((c) => c.name === 'waooaw_events_lost_total')
      .map((c) => [c.labels.reason, c.value]);

  it('sends a change again with its token and the run goes on, each task run once', async () => {
    // The connection drops after every first state change of a kind: made, but its reply lost.
    const lost: string[] = [];
    const { app, parts } = await start(1, (parts: Parts) => ({
      store: intercept(parts.store, RESENT, async (method, args, name) => {
        const reply = await method(...args);
        const input = args[0] as { runId: string; task?: string; attempt?: number } | { id: string }[];
        const about = Array.isArray(input)
          ? input.map((e) => e.id).join(',')
          : `${input.runId} ${input.task ?? ''} ${input.attempt ?? ''}`;
        const key = `${name} ${about}`;
        if (lost.includes(key)) return reply;
        lost.push(key);
        throw new Error('Connection is closed.');
      }),
    }));
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
    // The queue refuses the first enqueue for good (a Redis at its memory limit), after the event
    // was logged.
    let refusals = 1;
    const { app } = await start(0, (parts: Parts) => ({
      transport: intercept(parts.transport, ['enqueue'], async (method, args) => {
        if (refusals-- > 0) throw refusal('OOM command not allowed when used memory > maxmemory');
        return method(...args);
      }),
    }));
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
    // The log refuses every task.started event.
    const metrics = new MemoryMetrics();
    const { app } = await start(
      0,
      (parts: Parts) => ({
        store: intercept(parts.store, ['appendEvents'], async (method, args) => {
          const events = args[0] as { type: string }[];
          if (events.some((e) => e.type === 'orchestration.task.started')) throw refusal('ERR log refused');
          return method(...args);
        }),
      }),
      { metrics },
    );
    await app.publish(createEvent({ type: 'test.lossy', source: '/test' }));
    // The completion of a is recorded: b must still be enqueued, though a's invocation failed to
    // publish its events (a redelivery would only find a stale attempt).
    await waitFor(() => recorder.events.length === 1, 'the run to end', 8_000);
    expect(recorder.events[0]!.type).toBe('orchestration.workflow.completed');
    expect(executions.map((e) => e.split(':').slice(1).join(':'))).toEqual(['a:1', 'b:1']);
    // Refused, so not kept (it would be refused again and hold back the rest): counted lost. Both
    // task.started events, and whatever shared a group-committed append with one of them.
    const counted = await lost(metrics);
    expect(counted.map(([reason]) => reason)).toEqual(['refused']);
    expect(counted[0]![1]).toBeGreaterThanOrEqual(2);
  });

  it('publishes the lifecycle events the store did not answer for once it answers again, in order', {
    timeout: 60_000,
  }, async () => {
    // The store takes no task event for longer than a call is resent (about 10 s): the run
    // goes on, its events are kept.
    let down = true;
    const metrics = new MemoryMetrics();
    const { app, parts } = await start(
      0,
      (parts: Parts) => ({
        store: intercept(parts.store, ['appendEvents'], async (method, args) => {
          const events = args[0] as { type: string }[];
          if (down && events.some((e) => e.type.startsWith('orchestration.task.'))) {
            throw new Error('Connection is closed.');
          }
          return method(...args);
        }),
      }),
      { pattern: 'orchestration.#', metrics },
    );
    await app.publish(createEvent({ type: 'test.lossy', source: '/test' }));
    await waitFor(() => executions.length === 2, 'both tasks to run', 40_000);
    const runId = executions[0]!.split(':')[0]!;
    await waitFor(async () => (await parts.store.getRun(runId))?.status === 'completed', 'the run to end');
    // Nothing was published for the run: its first event is kept, the later ones wait behind it.
    expect(recorder.forRun(runId)).toEqual([]);
    down = false;
    const expected = [
      'orchestration.task.created a',
      'orchestration.task.started a',
      'orchestration.task.completed a',
      'orchestration.task.created b',
      'orchestration.task.started b',
      'orchestration.task.completed b',
      'orchestration.workflow.completed ',
    ];
    const seen = () =>
      recorder.forRun(runId).map((e) => `${e.type} ${(e.data as { name?: string }).name ?? ''}`);
    await waitFor(() => seen().length >= expected.length, 'the kept events to be delivered', 20_000);
    // Each once, and each task's in the order they happened; the run's end last.
    expect([...seen()].sort()).toEqual([...expected].sort());
    for (const task of ['a', 'b']) {
      const mine = seen().filter((s) => s.endsWith(` ${task}`));
      expect(mine).toEqual(expected.filter((s) => s.endsWith(` ${task}`)));
    }
    expect(seen().at(-1)).toBe('orchestration.workflow.completed ');
  });
});
