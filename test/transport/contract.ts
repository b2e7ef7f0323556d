import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DroppedInvocation, Invocation, InvokeOutcome, Transport } from '../../src/transport/index.js';
import { gate, sleep, waitFor } from '../support/wait.js';
import { envelope, nameOf } from './helpers/invocations.js';

export interface ContractOptions {
  concurrency?: number;
  maxRedeliveries?: number;
  onDropped?: (dropped: DroppedInvocation) => void;
}

export interface Depth {
  queued: number;
  delayed: number;
  inFlight: number;
}

export interface TransportUnderTest {
  transport: Transport;
  /** Depth of the queues (shared by every transport of the backend). */
  depth(): Promise<Depth>;
}

/** One backend per test: it makes transports that share a queue, and cleans up after. */
export interface Backend {
  make(options?: ContractOptions): TransportUnderTest;
  teardown(): Promise<void>;
}

const ack: InvokeOutcome = { status: 'ack' };

/** Records every delivery, by task name, in order. */
function recorder() {
  const order: string[] = [];
  const times = new Map<string, number[]>();
  const record = (invocation: Invocation) => {
    const name = nameOf(invocation);
    order.push(name);
    times.set(name, [...(times.get(name) ?? []), Date.now()]);
  };
  return {
    order,
    times,
    record,
    count: (name: string) => times.get(name)?.length ?? 0,
    /** A handler that records and acknowledges. */
    acking: async (invocation: Invocation): Promise<InvokeOutcome> => {
      record(invocation);
      return ack;
    },
  };
}

const idle = (d: Depth) => d.queued === 0 && d.delayed === 0 && d.inFlight === 0;

/**
 * The behaviour every dispatching transport shares. Run over each backend so they cannot drift.
 */
export function transportContract(label: string, newBackend: () => Backend): void {
  describe(`${label}: transport contract`, () => {
    let backend: Backend;
    beforeEach(() => {
      backend = newBackend();
    });
    afterEach(() => backend.teardown());

    it('delivers by priority, FIFO within a priority', async () => {
      const { transport } = backend.make({ concurrency: 1 });
      const seen = recorder();
      await transport.enqueue([
        envelope('low-1', { priority: 'LOW' }),
        envelope('normal-1'),
        envelope('critical-1', { priority: 'CRITICAL' }),
        envelope('high-1', { priority: 'HIGH' }),
        envelope('normal-2', { priority: 'NORMAL' }),
        envelope('critical-2', { priority: 'CRITICAL' }),
        envelope('low-2', { priority: 'LOW' }),
      ]);
      await transport.start(seen.acking);
      await waitFor(() => seen.order.length === 7);
      expect(seen.order).toEqual([
        'critical-1',
        'critical-2',
        'high-1',
        'normal-1',
        'normal-2',
        'low-1',
        'low-2',
      ]);
    });

    it('delivers the follow-ups an acknowledgement carries (a chain runs to its end)', async () => {
      const { transport } = backend.make({ concurrency: 2 });
      const order: string[] = [];
      await transport.enqueue([envelope('step-0')]);
      await transport.start(async (invocation) => {
        const name = nameOf(invocation);
        order.push(name);
        const n = Number(name.split('-')[1]);
        return n < 5 ? { status: 'ack', followUps: [envelope(`step-${n + 1}`)] } : { status: 'ack' };
      });
      await waitFor(() => order.length === 6);
      expect(order).toEqual(['step-0', 'step-1', 'step-2', 'step-3', 'step-4', 'step-5']);
    });

    it('keeps FIFO order within one priority across batches', async () => {
      const { transport } = backend.make({ concurrency: 1 });
      const seen = recorder();
      const names = Array.from({ length: 30 }, (_, i) => `t-${i}`);
      await transport.enqueue(names.slice(0, 10).map((n) => envelope(n)));
      await transport.enqueue(names.slice(10).map((n) => envelope(n)));
      await transport.start(seen.acking);
      await waitFor(() => seen.order.length === 30);
      expect(seen.order).toEqual(names);
    });

    it('holds a delayed invocation until it is due', async () => {
      const made = backend.make();
      const seen = recorder();
      await made.transport.start(seen.acking);
      const enqueuedAt = Date.now();
      await made.transport.enqueue([envelope('later', { delayMs: 300 }), envelope('now')]);
      expect((await made.depth()).delayed + seen.count('later')).toBe(1);
      await waitFor(() => seen.count('later') === 1);
      expect(seen.order).toEqual(['now', 'later']);
      // Lower bound only (never flaky): it may not run early. 10 ms of clock granularity allowed.
      expect(seen.times.get('later')![0]! - enqueuedAt).toBeGreaterThanOrEqual(290);
    });

    it('drops a duplicate dedup id while the first is pending, accepts it again once acknowledged', async () => {
      const made = backend.make();
      const seen = recorder();
      await made.transport.enqueue([envelope('a', { dedupId: 'k' }), envelope('b', { dedupId: 'k' })]);
      await made.transport.enqueue([envelope('c', { dedupId: 'k' }), envelope('other', { dedupId: 'j' })]);
      await made.transport.start(seen.acking);
      await waitFor(async () => seen.order.length === 2 && idle(await made.depth()));
      expect([...seen.order].sort()).toEqual(['a', 'other']);
      await made.transport.enqueue([envelope('d', { dedupId: 'k' })]);
      await waitFor(() => seen.count('d') === 1);
      expect(seen.count('b') + seen.count('c')).toBe(0);
    });

    it('runs a flow key with limit 1 one at a time without blocking other keys', async () => {
      const { transport } = backend.make({ concurrency: 10 });
      const seen = recorder();
      const release = gate();
      const running = new Map<string, number>();
      const peak = new Map<string, number>();
      await transport.start(async (inv) => {
        const key = nameOf(inv).split('-')[0]!;
        running.set(key, (running.get(key) ?? 0) + 1);
        peak.set(key, Math.max(peak.get(key) ?? 0, running.get(key)!));
        seen.record(inv);
        if (key === 'A') await release.opened;
        else await sleep(2);
        running.set(key, running.get(key)! - 1);
        return ack;
      });
      await transport.enqueue([
        ...Array.from({ length: 5 }, (_, i) => envelope(`A-${i}`, { flowKey: 'A', flowLimit: 1 })),
        ...Array.from({ length: 6 }, (_, i) => envelope(`C-${i}`, { flowKey: 'C', flowLimit: 2 })),
        ...Array.from({ length: 4 }, (_, i) => envelope(`free-${i}`)),
      ]);
      // A-0 holds A's only slot until the gate opens: everything else must still get through.
      await waitFor(() => seen.order.filter((n) => !n.startsWith('A')).length === 10);
      expect(seen.order.filter((n) => n.startsWith('A'))).toEqual(['A-0']);
      release.open();
      await waitFor(() => seen.order.length === 15);
      expect(seen.order.filter((n) => n.startsWith('A'))).toEqual(['A-0', 'A-1', 'A-2', 'A-3', 'A-4']);
      expect(peak.get('A')).toBe(1);
      expect(peak.get('C')).toBeLessThanOrEqual(2);
    });

    it('gives a freed flow slot to the most urgent item waiting for it, FIFO within a priority', async () => {
      const { transport } = backend.make({ concurrency: 4 });
      const seen = recorder();
      const release = gate();
      await transport.start(async (inv) => {
        seen.record(inv);
        if (nameOf(inv) === 'low-0') await release.opened;
        return ack;
      });
      const keyed = (name: string, priority: 'LOW' | 'CRITICAL') =>
        envelope(name, { flowKey: 'tenant', flowLimit: 1, priority });
      await transport.enqueue([keyed('low-0', 'LOW')]);
      await waitFor(() => seen.order.length === 1);
      // low-0 holds the key: these wait for it, and the critical one arrives last.
      await transport.enqueue([keyed('low-1', 'LOW'), keyed('low-2', 'LOW')]);
      await sleep(30);
      await transport.enqueue([keyed('urgent', 'CRITICAL')]);
      await sleep(30);
      release.open();
      await waitFor(() => seen.order.length === 4);
      expect(seen.order).toEqual(['low-0', 'urgent', 'low-1', 'low-2']);
    });

    it('never runs more than `concurrency` handlers at once', async () => {
      const { transport } = backend.make({ concurrency: 3 });
      let current = 0;
      let peak = 0;
      let done = 0;
      await transport.enqueue(Array.from({ length: 12 }, (_, i) => envelope(`t-${i}`)));
      await transport.start(async () => {
        current += 1;
        peak = Math.max(peak, current);
        await sleep(5);
        current -= 1;
        done += 1;
        return ack;
      });
      await waitFor(() => done === 12);
      expect(peak).toBe(3);
    });

    it('redelivers on a retry outcome (or a throw) after the given delay', async () => {
      const { transport } = backend.make();
      const seen = recorder();
      await transport.start(async (inv) => {
        seen.record(inv);
        const first = seen.count(nameOf(inv)) === 1;
        if (first && nameOf(inv) === 'throws') throw new Error('boom');
        return first ? { status: 'retry', error: 'not yet', delayMs: 20 } : ack;
      });
      await transport.enqueue([envelope('retries'), envelope('throws')]);
      await waitFor(() => seen.count('retries') === 2 && seen.count('throws') === 2);
      await sleep(100);
      expect(seen.count('retries')).toBe(2);
    });

    it('gives up after maxRedeliveries and reports the drop', async () => {
      const dropped: DroppedInvocation[] = [];
      const { transport } = backend.make({ maxRedeliveries: 2, onDropped: (d) => dropped.push(d) });
      const seen = recorder();
      await transport.start(async (inv) => {
        seen.record(inv);
        return { status: 'retry', error: 'always', delayMs: 0 };
      });
      await transport.enqueue([envelope('poison')]);
      await waitFor(() => dropped.length === 1);
      expect(seen.count('poison')).toBe(3);
      expect(dropped[0]).toMatchObject({ deliveries: 3, error: 'always', invocation: { task: 'poison' } });
    });

    it('keeps working when the onDropped hook throws', async () => {
      let calls = 0;
      const { transport } = backend.make({
        maxRedeliveries: 0,
        onDropped: () => {
          calls += 1;
          throw new Error('hook failed');
        },
      });
      const seen = recorder();
      await transport.start(async (inv) => {
        seen.record(inv);
        return (inv as { task: string }).task === 'poison'
          ? { status: 'retry', error: 'x', delayMs: 0 }
          : ack;
      });
      await transport.enqueue([envelope('poison')]);
      await waitFor(() => calls === 1);
      await transport.enqueue([envelope('after')]);
      await waitFor(() => seen.count('after') === 1);
      expect(seen.count('poison')).toBe(1);
    });

    it('stop() takes no new work and resolves once in-flight handlers finish', async () => {
      const made = backend.make({ concurrency: 2 });
      const seen = recorder();
      const release = gate();
      let finished = 0;
      await made.transport.start(async (inv) => {
        seen.record(inv);
        await release.opened;
        finished += 1;
        return ack;
      });
      await made.transport.enqueue([envelope('a'), envelope('b')]);
      await waitFor(() => seen.order.length === 2);
      let stopped = false;
      const stopping = made.transport.stop().then(() => {
        stopped = true;
      });
      await sleep(30);
      expect(stopped).toBe(false);
      release.open();
      await stopping;
      expect(finished).toBe(2);
      await made.transport.enqueue([envelope('after-stop')]);
      await sleep(50);
      expect(seen.count('after-stop')).toBe(0);
      expect(await made.depth()).toMatchObject({ queued: 1, inFlight: 0 });
    });
  });
}
