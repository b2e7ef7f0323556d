import { describe, expect, it } from 'vitest';
import { type Clock, InProcessTransport } from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';
import { type Backend, type ContractOptions, transportContract } from './contract.js';
import { envelope, nameOf } from './helpers/invocations.js';

function inProcessBackend(): Backend {
  const made: InProcessTransport[] = [];
  return {
    make(options: ContractOptions = {}) {
      const transport = new InProcessTransport({ ...options, retryDelayMs: () => 10 });
      made.push(transport);
      return { transport, depth: async () => transport.stats() };
    },
    teardown: async () => {
      await Promise.all(made.map((t) => t.stop()));
    },
  };
}

transportContract('in-process', inProcessBackend);

/** A clock the test moves by hand, counting the timers it is asked for. */
function manualClock() {
  let now = 1_000;
  let timers: { at: number; fn: () => void; handle: number }[] = [];
  let next = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn, handle: ++next });
      return next;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((t) => t.handle !== handle);
    },
  };
  return {
    clock,
    pending: () => timers.length,
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

describe('InProcessTransport', () => {
  it('keeps one timer, for the earliest delayed item', async () => {
    const time = manualClock();
    const transport = new InProcessTransport({ clock: time.clock });
    const seen: string[] = [];
    await transport.start(async (inv) => {
      seen.push(nameOf(inv));
      return { status: 'ack' };
    });
    await transport.enqueue([envelope('c', { delayMs: 300 }), envelope('b', { delayMs: 200 })]);
    await transport.enqueue([envelope('a', { delayMs: 100 })]);
    expect(time.pending()).toBe(1);
    expect(transport.stats()).toMatchObject({ delayed: 3, queued: 0 });
    time.advance(100);
    await waitFor(() => seen.length === 1);
    expect(time.pending()).toBe(1);
    time.advance(100);
    await waitFor(() => seen.length === 2);
    expect(time.pending()).toBe(1);
    time.advance(100);
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(time.pending()).toBe(0);
    await transport.stop();
  });

  it('reports queued, parked, delayed, in-flight and slots', async () => {
    const transport = new InProcessTransport({ concurrency: 4 });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await transport.start(async () => {
      await held;
      return { status: 'ack' };
    });
    await transport.enqueue([
      envelope('a1', { flowKey: 'a' }),
      envelope('a2', { flowKey: 'a' }),
      envelope('later', { delayMs: 60_000 }),
    ]);
    await waitFor(() => transport.stats().inFlight === 1);
    expect(transport.stats()).toEqual({ queued: 1, parked: 1, delayed: 1, inFlight: 1, slots: 4 });
    release();
    await waitFor(() => transport.stats().queued === 0 && transport.stats().inFlight === 0);
    await transport.stop();
  });

  it('refuses a second start', async () => {
    const transport = new InProcessTransport();
    await transport.start(async () => ({ status: 'ack' }));
    await expect(transport.start(async () => ({ status: 'ack' }))).rejects.toThrow(/already started/);
    await transport.stop();
  });
});
