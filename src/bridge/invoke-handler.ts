import type { EventBus } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Orchestrator } from '../orchestration/index.js';
import type { InvokeHandler, InvokeOutcome } from '../transport/index.js';

/** Counts what the invoke handler is doing in this process, for the metrics snapshot. */
export class InvocationGauge {
  inFlight = 0;
  /** Finished invocations per second of the last minute: a ring of 60 (second, count) slots. */
  private readonly seconds = new Array<number>(60).fill(-1);
  private readonly counts = new Array<number>(60).fill(0);

  constructor(private readonly clock: () => number) {}

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    this.inFlight--;
    const second = Math.floor(this.clock() / 1000);
    const slot = second % 60;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += 1;
  }

  /** Invocations finished in the last minute. */
  perMinute(): number {
    const now = Math.floor(this.clock() / 1000);
    let total = 0;
    for (let i = 0; i < 60; i++) if (now - this.seconds[i]! < 60) total += this.counts[i]!;
    return total;
  }
}

/**
 * The app's one invoke handler: every invocation, whatever carried it (QStash over `POST /invoke`,
 * the Redis dispatcher, the in-process queue), runs here. Never throws: an unexpected error asks
 * the transport to deliver again.
 */
export function createInvokeHandler(
  orchestrator: Orchestrator,
  bus: EventBus,
  gauge: InvocationGauge,
  logger: Logger,
): InvokeHandler {
  return async (invocation, hooks): Promise<InvokeOutcome> => {
    gauge.begin();
    try {
      return invocation.kind === 'task'
        ? await orchestrator.handleTask(invocation, hooks)
        : await bus.handleDelivery(invocation, hooks);
    } catch (error) {
      logger.error('invocation failed', { kind: invocation.kind, error: String(error) });
      return { status: 'retry', error: String(error) };
    } finally {
      gauge.end();
    }
  };
}
