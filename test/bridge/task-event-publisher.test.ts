/**
 * The TaskEventPublisher when Redis refuses writes (out of memory, a read-only replica): a final
 * failure's DLQ entry and its task.failed event both fail, and neither failure may go unhandled
 * (Node ends the process on an unhandled rejection, with every invocation it was running).
 */
import { describe, expect, it } from 'vitest';
import { TaskEventPublisher } from '../../src/bridge/task-event-publisher.js';
import { EventBus } from '../../src/events/index.js';
import { MemoryMetrics, silentLogger } from '../../src/observability/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { InProcessTransport } from '../../src/transport/index.js';

const refusal = () =>
  Object.assign(new Error('OOM command not allowed when used memory > maxmemory'), { name: 'ReplyError' });

describe('TaskEventPublisher', () => {
  it('reports a final failure it could not record, leaving no rejection unhandled', async () => {
    const store = new MemoryStore();
    // The store refuses every write these calls make.
    store.appendEvents = () => Promise.reject(refusal());
    store.addDlq = () => Promise.reject(refusal());
    const bus = new EventBus({ store, transport: new InProcessTransport() });
    const metrics = new MemoryMetrics();
    const publisher = new TaskEventPublisher({ bus, store, metrics, logger: silentLogger, clock: Date.now });
    const unhandled: unknown[] = [];
    const hear = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', hear);
    try {
      await expect(
        publisher.taskFailed({
          runId: 'run_1',
          workflow: 'w',
          task: 't',
          attempt: 3,
          phase: 'execute',
          meta: {},
          error: 'boom',
          willRetry: false,
          workerId: 'worker-1',
          failedAt: 0,
        }),
      ).rejects.toThrow('OOM');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
      // The refused task.failed event is counted lost.
      const lost = (await metrics.snapshot()).counters.find((c) => c.name === 'waooaw_events_lost_total');
      expect(lost).toMatchObject({ labels: { reason: 'refused' }, value: 1 });
    } finally {
      process.off('unhandledRejection', hear);
    }
  });
});
