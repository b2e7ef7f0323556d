import type { TraceCarrier } from '../../observability/tracing.js';
import { type ReadyTask, type RunOutcome, withResends } from '../../store/index.js';
import type { Envelope } from '../../transport/index.js';
import type { OrchestratorConfig } from './config.js';
import { type RunContext, toEnvelopes } from './enqueue.js';
import type { ListenerCalls } from './lifecycle.js';
import type { AnyWorkflow } from './registry.js';

/**
 * What follows a state change: report the attempts it released, enqueue them in one batch,
 * and report the run's end. Shared by every path that changes state (start, attempt, sweep, cancel).
 */
export class RunEffects {
  constructor(private readonly config: OrchestratorConfig) {}

  /**
   * @param context the run's input and meta (the concurrency key and the events need them).
   * @param trace the span that caused this change (an attempt, a trigger): the invocations it
   *   enqueues and the events it reports carry it. Default: the run's trace from its meta.
   */
  async apply(
    workflow: AnyWorkflow,
    runId: string,
    calls: ListenerCalls,
    ready: readonly ReadyTask[],
    run: RunOutcome | undefined,
    context: RunContext,
    now: number,
    trace?: TraceCarrier,
    followUps?: Envelope[],
  ): Promise<void> {
    // The events carry the run's meta, under the causing span's trace when there is one.
    const meta = trace?.traceparent ? { ...context.meta, ...trace } : context.meta;
    if (ready.length > 0) {
      for (const r of ready) {
        calls.emit('taskQueued', {
          runId: r.runId,
          workflow: workflow.name,
          task: r.task,
          attempt: r.attempt,
          phase: r.phase,
          priority: r.priority,
          meta,
          ...(r.notBefore === undefined ? {} : { notBefore: r.notBefore }),
        });
      }
      // The invocations carry that span's trace context as it is (not the run's older tracestate).
      const carrier = trace?.traceparent ? trace : traceOf(context.meta);
      const envelopes = toEnvelopes(workflow, ready, context, now, carrier, this.config.logger);
      // Inside an invocation they travel with its acknowledgement; elsewhere they are enqueued now.
      if (followUps) followUps.push(...envelopes);
      // (each carries a dedup id, so a resend after a lost reply adds nothing).
      else await withResends(() => this.config.transport.enqueue(envelopes));
    }
    if (run) calls.emit('runChanged', { ...run, meta, runId, endedAt: now });
  }
}

function traceOf(meta: RunContext['meta']): { traceparent?: string; tracestate?: string } {
  return {
    ...(meta.traceparent ? { traceparent: meta.traceparent } : {}),
    ...(meta.tracestate ? { tracestate: meta.tracestate } : {}),
  };
}
