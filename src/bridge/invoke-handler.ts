import type { EventBus } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Orchestrator } from '../orchestration/index.js';
import type { InvokeHandler, InvokeOutcome } from '../transport/index.js';

/** Counts what the invoke handler is doing in this process, for the metrics snapshot. */
export class InvocationGauge {
  inFlight = 0;
  private readonly finished: number[] = [];

  constructor(private readonly clock: () => number) {}

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    this.inFlight--;
    const now = this.clock();
    this.finished.push(now);
    while (this.finished.length > 0 && this.finished[0]! < now - 60_000) this.finished.shift();
  }

  /** Invocations finished in the last minute. */
  perMinute(): number {
    const since = this.clock() - 60_000;
    while (this.finished.length > 0 && this.finished[0]! < since) this.finished.shift();
    return this.finished.length;
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
  return async (invocation): Promise<InvokeOutcome> => {
    gauge.begin();
    try {
      return invocation.kind === 'task'
        ? await orchestrator.handleTask(invocation)
        : await bus.handleDelivery(invocation);
    } catch (error) {
      logger.error('invocation failed', { kind: invocation.kind, error: String(error) });
      return { status: 'retry', error: String(error) };
    } finally {
      gauge.end();
    }
  };
}
