/** A dead-letter hook that throws does not get the event dead-lettered twice. */
import { describe, expect, it } from 'vitest';
import { createEvent, EventBus } from '../../src/events/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { InProcessTransport } from '../../src/transport/index.js';
import { waitFor } from '../support/wait.js';

describe('onDeadLetter', () => {
  it('writes one DLQ entry when the hook throws, and the event is not delivered again', async () => {
    const store = new MemoryStore();
    const transport = new InProcessTransport({ retryDelayMs: () => 1 });
    let calls = 0;
    let hooks = 0;
    const bus = new EventBus({
      store,
      transport,
      targets: {
        handler: async () => {
          calls += 1;
          throw new Error('consumer down');
        },
      },
      onDeadLetter: () => {
        hooks += 1;
        throw new Error('hook down');
      },
    });
    await bus.subscribe({
      id: 'c',
      pattern: 'shop.#',
      target: { kind: 'handler', name: 'c' },
      maxAttempts: 1,
    });
    await transport.start(async (invocation) =>
      invocation.kind === 'delivery' ? bus.handleDelivery(invocation) : { status: 'ack' },
    );
    try {
      await bus.publish(createEvent({ type: 'shop.ordered', source: '/shop' }));
      await waitFor(() => hooks === 1, 'the hook');
      await new Promise((r) => setTimeout(r, 50));
      expect(await store.listDlq({ limit: 10 })).toHaveLength(1);
      expect([calls, hooks]).toEqual([1, 1]);
    } finally {
      await transport.stop();
    }
  });
});
