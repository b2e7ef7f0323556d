import type { Envelope, Invocation, Transport } from '../../src/index.js';

/**
 * A push-shaped transport like QStash: it only records what was enqueued, and the test delivers the
 * invocations over `POST /invoke` itself.
 */
export class CapturingTransport implements Transport {
  readonly name = 'capturing';
  readonly envelopes: Envelope[] = [];

  async enqueue(items: Envelope[]): Promise<void> {
    this.envelopes.push(...items);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Takes the captured invocations matching `kind` out of the queue. */
  take<K extends Invocation['kind']>(kind: K): Extract<Invocation, { kind: K }>[] {
    const taken: Extract<Invocation, { kind: K }>[] = [];
    for (let i = this.envelopes.length - 1; i >= 0; i--) {
      const { invocation } = this.envelopes[i]!;
      if (invocation.kind === kind) {
        taken.unshift(invocation as Extract<Invocation, { kind: K }>);
        this.envelopes.splice(i, 1);
      }
    }
    return taken;
  }
}
