/**
 * The spans of the workflow runtime: `waooaw.trigger` (a run starts) and `waooaw.task` /
 * `waooaw.compensate` (one attempt). Typed structurally so that observability imports no part.
 */
import { type Context, SpanKind } from '@opentelemetry/api';
import { ATTR, SPANS } from './attributes.js';
import { extractContext, parentContext, type SpanOptions, type TraceCarrier } from './tracing.js';

interface AttemptInvocation extends TraceCarrier {
  runId: string;
  workflow: string;
  task: string;
  attempt: number;
  phase: 'execute' | 'compensate';
}

/** Name and options of an attempt's span: a child of the span that enqueued the invocation. */
export function attemptSpan(
  invocation: AttemptInvocation,
  workerId: string,
): { name: string; options: SpanOptions } {
  return {
    name: invocation.phase === 'compensate' ? SPANS.compensate : SPANS.task,
    options: {
      kind: SpanKind.CONSUMER,
      parent: extractContext(invocation),
      attributes: {
        [ATTR.runId]: invocation.runId,
        [ATTR.workflow]: invocation.workflow,
        [ATTR.taskName]: invocation.task,
        [ATTR.taskAttempt]: invocation.attempt,
        [ATTR.taskPhase]: invocation.phase,
        [ATTR.workerId]: workerId,
      },
    },
  };
}

/**
 * Options of the `waooaw.trigger` span. Its parent is `explicit` (the delivery that carries the
 * trigger event), else the caller's active span, else the trigger event's trace from the run meta.
 */
export function triggerSpanOptions(
  workflow: string,
  meta: Record<string, string>,
  explicit?: Context,
): SpanOptions {
  return {
    kind: SpanKind.INTERNAL,
    parent: parentContext(meta, explicit),
    attributes: {
      [ATTR.workflow]: workflow,
      ...(meta.trigger_event_id ? { [ATTR.eventId]: meta.trigger_event_id } : {}),
    },
  };
}
