/**
 * Events the bus could not take for want of an answer are kept and published again, in order,
 * through a real bus (memory store, in-process transport) to a real subscriber. What is injected is
 * the outage: the bus call fails as a dropped connection does, or is refused as a server refuses.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CloudEvent, createEvent, EventBacklog, EventBus } from '../../src/events/index.js';
import { jsonLogger, MemoryMetrics } from '../../src/observability/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { InProcessTransport } from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';

const noAnswer = () => new Error('Connection is closed.');
const refusal = () => Object.assign(new Error('ERR event refused'), { name: 'ReplyError' });

describe('EventBacklog', () => {
  let transport: InProcessTransport;
  let bus: EventBus;
  let received: string[];
  let logs: { level: string; msg: string; [k: string]: unknown }[];
  /** The bus call fails with no answer while set; refuses the events whose id it names. */
  let down: boolean;
  let poisoned: Set<string>;
  let backlog: EventBacklog;
  let metrics: MemoryMetrics;
  /** The backlog's counters: kept, and lost by reason. */
  const counted = async () =>
    Object.fromEntries(
      (await metrics.snapshot()).counters.map((c) => [
        c.labels.reason ? `${c.name}{${c.labels.reason}}` : c.name,
        c.value,
      ]),
    );

  const make = (capacity = 100) =>
    new EventBacklog({
      publish: async (events: CloudEvent[]) => {
        if (down) throw noAnswer();
        if (events.some((e) => poisoned.has(e.id))) throw refusal();
        return bus.publish(events, { trusted: true });
      },
      capacity,
      logger: jsonLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) }),
      metrics,
      retryMs: 5,
      maxRetryMs: 20,
    });
  const event = (n: number) =>
    createEvent(
      { type: 'test.kept', source: '/test', id: `e${n}`, subject: `run-${n % 2}`, data: { n } },
      { validate: false },
    );

  beforeEach(async () => {
    received = [];
    logs = [];
    down = false;
    poisoned = new Set();
    metrics = new MemoryMetrics();
    const store = new MemoryStore();
    transport = new InProcessTransport();
    bus = new EventBus({
      store,
      transport,
      targets: {
        handler: async (e) => {
          received.push(e.id);
        },
      },
    });
    await bus.subscribe({ id: 'kept', pattern: 'test.kept', target: { kind: 'handler', name: 'kept' } });
    await transport.start(async (invocation) =>
      invocation.kind === 'delivery' ? bus.handleDelivery(invocation) : { status: 'ack' },
    );
    backlog = make();
  });

  afterEach(async () => {
    await backlog.stop();
    await transport.stop();
  });

  it('keeps events while the store does not answer and publishes them in order once it does', async () => {
    down = true;
    for (let n = 1; n <= 5; n++) backlog.add(event(n), noAnswer());
    expect(backlog.size).toBe(5);
    await new Promise((r) => setTimeout(r, 60));
    // Tried meanwhile (several times, backing off), published nothing.
    expect(received).toEqual([]);
    expect(backlog.size).toBe(5);
    down = false;
    await waitFor(() => received.length === 5, 'the kept events to be delivered');
    expect(received).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(backlog.size).toBe(0);
    expect(logs.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'events kept in memory to publish again: the bus did not take them'],
      ['info', 'kept events published'],
    ]);
    expect(logs[1]).toMatchObject({ published: 5, kept: 5, dropped: 0, refused: 0 });
    expect(await counted()).toEqual({ waooaw_events_kept_total: 5 });
  });

  it('puts an event kept while a batch is in flight behind that batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    backlog = new EventBacklog({
      publish: async (events) => {
        await gate;
        return bus.publish(events, { trusted: true });
      },
      capacity: 100,
      logger: jsonLogger({ write: () => {} }),
      retryMs: 1,
    });
    backlog.add(event(1));
    backlog.add(event(2));
    await waitFor(() => backlog.size === 2 && received.length === 0, 'the first batch to be in flight');
    await new Promise((r) => setTimeout(r, 10));
    // The first two are being sent: a third counts as kept and waits behind them.
    backlog.add(event(3));
    expect(backlog.size).toBe(3);
    release();
    await waitFor(() => received.length === 3, 'all three to be delivered');
    expect(received).toEqual(['e1', 'e2', 'e3']);
  });

  it('keeps an event reported again while it waits once (same source and id), and again once it is out', async () => {
    down = true;
    backlog.add(event(1), noAnswer());
    backlog.add(event(2), noAnswer());
    // A run's end announced again by the sweeper, say: the same event.
    backlog.add(event(1), noAnswer());
    expect(backlog.size).toBe(2);
    down = false;
    await waitFor(() => received.length === 2, 'the kept events to be delivered');
    expect(received).toEqual(['e1', 'e2']);
    expect(await counted()).toEqual({ waooaw_events_kept_total: 2 });
    // Out: reported once more, it is kept (and published) again.
    down = true;
    backlog.add(event(1), noAnswer());
    expect(backlog.size).toBe(1);
    down = false;
    await waitFor(() => received.length === 3, 'the event reported again');
  });

  it('drops the oldest past its capacity, and says so once', async () => {
    backlog = make(3);
    down = true;
    for (let n = 1; n <= 6; n++) backlog.add(event(n), noAnswer());
    expect(backlog.size).toBe(3);
    down = false;
    await waitFor(() => received.length === 3, 'the kept events to be delivered');
    expect(received).toEqual(['e4', 'e5', 'e6']);
    const full = logs.filter((l) => l.msg.startsWith('event backlog full'));
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ level: 'error', capacity: 3, firstDropped: { id: 'e1' } });
    expect(logs.at(-1)).toMatchObject({ msg: 'kept events published', published: 3, kept: 6, dropped: 3 });
    expect(await counted()).toEqual({
      waooaw_events_kept_total: 6,
      'waooaw_events_lost_total{backlog_full}': 3,
    });
  });

  it('loses only the event the bus refuses, not the ones kept with it', async () => {
    down = true;
    for (let n = 1; n <= 4; n++) backlog.add(event(n), noAnswer());
    poisoned.add('e2');
    down = false;
    await waitFor(() => received.length === 3, 'the others to be delivered');
    expect(received).toEqual(['e1', 'e3', 'e4']);
    expect(backlog.size).toBe(0);
    expect(logs.find((l) => l.level === 'error')).toMatchObject({
      msg: 'kept event refused by the bus: lost',
      event: { id: 'e2', type: 'test.kept' },
    });
    expect(await counted()).toEqual({
      waooaw_events_kept_total: 4,
      'waooaw_events_lost_total{refused}': 1,
    });
  });

  it('tries once more when stopped, then logs what is lost', async () => {
    down = true;
    backlog.add(event(1), noAnswer());
    backlog.add(event(2), noAnswer());
    await backlog.stop();
    expect(received).toEqual([]);
    expect(backlog.size).toBe(0);
    expect(logs.at(-1)).toMatchObject({
      level: 'error',
      msg: 'kept events not published before stop: lost',
      count: 2,
      types: ['test.kept'],
      subjects: ['run-1', 'run-0'],
    });
    expect(await counted()).toEqual({
      waooaw_events_kept_total: 2,
      'waooaw_events_lost_total{stopped}': 2,
    });

    // Stopped with the store answering again: what is kept goes out before stop() returns.
    backlog = make();
    backlog.add(event(3), noAnswer());
    down = false;
    await backlog.stop();
    await waitFor(() => received.length === 1, 'the kept event to be delivered');
    expect(received).toEqual(['e3']);
  });

  it('when stopped during a try, takes that try as the last one', async () => {
    let calls = 0;
    let fail!: () => void;
    backlog = new EventBacklog({
      publish: () => {
        calls += 1;
        // Hangs as a call to an unreachable store does while it is resent, then fails.
        return new Promise((_, reject) => {
          fail = () => reject(noAnswer());
        });
      },
      capacity: 100,
      logger: jsonLogger({ write: (line) => logs.push(JSON.parse(line)) }),
      retryMs: 1,
    });
    backlog.add(event(1), noAnswer());
    await waitFor(() => calls === 1, 'a try to be in flight');
    const stopped = backlog.stop();
    fail();
    await stopped;
    expect(calls).toBe(1);
    expect(logs.at(-1)).toMatchObject({ msg: 'kept events not published before stop: lost', count: 1 });
  });

  it('keeps only what failed for want of an answer', () => {
    expect(EventBacklog.keeps(noAnswer())).toBe(true);
    expect(
      EventBacklog.keeps(Object.assign(new Error('LOADING Redis is loading'), { name: 'ReplyError' })),
    ).toBe(true);
    expect(EventBacklog.keeps(refusal())).toBe(false);
    // Wrapped (the transport names the script that failed): the cause decides.
    expect(EventBacklog.keeps(new Error('transport script enqueue failed', { cause: noAnswer() }))).toBe(
      true,
    );
    expect(EventBacklog.keeps(new Error('transport script enqueue failed', { cause: refusal() }))).toBe(
      false,
    );
    expect(
      EventBacklog.keeps(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe(true);
    // A bug is no outage: kept, it would be retried for ever ahead of every later event.
    expect(EventBacklog.keeps(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      false,
    );
  });
});
