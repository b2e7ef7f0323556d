/**
 * An event the bus logged but could not fan out (the queue was down) and that is published again
 * (internal events by the lifecycle backlog, others by their producer) must reach its subscribers,
 * without a second copy in the event log that replays and the events API read. Real bus on a real
 * Redis store; what is injected is the outage.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, EventBus } from '../../src/events/index.js';
import { fromIoredis, RedisStore } from '../../src/store/index.js';
import { type Envelope, InProcessTransport } from '../../src/transport/index.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/**
 * An in-process queue that, while `down`, refuses as a Redis out of memory does. (An unanswered
 * enqueue ends the same way, after ten seconds of resends.)
 */
class FlakyQueue extends InProcessTransport {
  down = false;
  override async enqueue(items: Envelope[]): Promise<void> {
    if (this.down) {
      throw Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), {
        name: 'ReplyError',
      });
    }
    return super.enqueue(items);
  }
}

/** A Redis store that, while `down`, cannot release dedup marks (Redis went away after the append). */
function markKeeping(store: RedisStore): RedisStore & { down: boolean } {
  const keeping = Object.assign(store, { down: false });
  const forget = store.forgetEvents;
  keeping.forgetEvents = async (events) => {
    if (keeping.down) throw new Error('Connection is closed.');
    return forget(events);
  };
  return keeping;
}

describe('EventBus: fan-out after a logged event', () => {
  let redis: Redis;
  let prefix: string;
  let store: RedisStore & { down: boolean };
  let queue: FlakyQueue;
  let bus: EventBus;
  let received: string[];

  beforeEach(async () => {
    redis = new Redis(REDIS_URL);
    prefix = newPrefix();
    store = markKeeping(new RedisStore(fromIoredis(redis, { closeClient: false }), { prefix }));
    queue = new FlakyQueue();
    received = [];
    bus = new EventBus({
      store,
      transport: queue,
      targets: { handler: async (e) => void received.push(e.id) },
    });
    await bus.subscribe({ id: 'watch', pattern: 'test.fanout', target: { kind: 'handler', name: 'watch' } });
    await queue.start(async (invocation) =>
      invocation.kind === 'delivery' ? bus.handleDelivery(invocation) : { status: 'ack' },
    );
  });

  afterEach(async () => {
    await queue.stop();
    await deleteKeys(redis, prefix);
    redis.disconnect();
  });

  const event = (id: string) =>
    createEvent({ type: 'test.fanout', source: '/test', id, data: {} }, { validate: false });

  it('fans a logged internal event out when published again, without logging it twice', async () => {
    queue.down = true;
    await expect(bus.publish([event('e1'), event('e2')], { trusted: true })).rejects.toThrow(/OOM/);
    // Logged already: the log is written before the fan-out.
    expect((await store.readEvents({ limit: 10 })).map((l) => l.event.id)).toEqual(['e1', 'e2']);
    queue.down = false;
    // Published again, with one event that is new: only that one is appended.
    const again = await bus.publish([event('e1'), event('e2'), event('e3')], { trusted: true });
    expect(again.deliveries).toBe(3);
    await waitFor(() => received.length === 3, 'the three deliveries');
    expect(received.sort()).toEqual(['e1', 'e2', 'e3']);
    expect((await store.readEvents({ limit: 10 })).map((l) => l.event.id)).toEqual(['e1', 'e2', 'e3']);
    // Fanned out: a later publish of the same ids is a new internal publish again (logged anew).
    await bus.publish([event('e1')], { trusted: true });
    expect((await store.readEvents({ limit: 10 })).map((l) => l.event.id)).toEqual(['e1', 'e2', 'e3', 'e1']);
  });

  it("delivers a producer's retry when the dedup mark of its first, undelivered try stayed", async () => {
    queue.down = true;
    store.down = true;
    await expect(bus.publish([event('x1')])).rejects.toThrow(/OOM/);
    queue.down = false;
    store.down = false;
    const retry = await bus.publish([event('x1')]);
    expect(retry.events).toEqual([{ id: 'x1', seq: expect.stringMatching(/^\d+-\d+$/) }]);
    await waitFor(() => received.length === 1, 'the delivery');
    expect((await store.readEvents({ limit: 10 })).map((l) => l.event.id)).toEqual(['x1']);
    // Delivered: the mark still holds, a further retry is a duplicate.
    expect((await bus.publish([event('x1')])).events).toEqual([{ id: 'x1', seq: '', duplicate: true }]);
  });

  it("lets a producer's retry through when the first try's dedup mark was released", async () => {
    queue.down = true;
    await expect(bus.publish([event('y1')])).rejects.toThrow(/OOM/);
    queue.down = false;
    expect((await bus.publish([event('y1')])).events[0]).not.toHaveProperty('duplicate');
    await waitFor(() => received.length === 1, 'the delivery');
  });
});
