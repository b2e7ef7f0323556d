import type { Context, Span } from '@opentelemetry/api';
import { SPANS } from '../observability/attributes.js';
import { deliverySpanOptions } from '../observability/event-tracing.js';
import { inSpan, recordFailure } from '../observability/tracing.js';
import type { DlqKind, SubscriptionRecord } from '../store/index.js';
import type { DeliveryInvocation, InvokeHooks, InvokeOutcome } from '../transport/index.js';
import type { EventBus } from './bus.js';
import type { CloudEvent } from './envelope.js';
import { deliverHttp, PermanentDeliveryError } from './http-target.js';

/** Marks a delivery failure that no retry can fix (the DLQ takes it at once). */
export class NonRetriableDeliveryError extends Error {
  override readonly name = 'NonRetriableDeliveryError';
  /** The DLQ entry kind: `trigger` for an event that could not start a run. */
  readonly dlqKind: DlqKind;
  constructor(message: string, options: { dlqKind?: DlqKind; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.dlqKind = options.dlqKind ?? 'delivery';
  }
}

/**
 * Runs one delivery attempt: call the subscription's target; on failure retry with backoff until
 * the subscription's attempts are spent, then write a DLQ entry with the reason, attempts and
 * last error. Always acknowledges: the retry is a new, delayed invocation, except for an ordered
 * subscription, whose retries run here, in place: the invocation keeps its key's one slot, so the
 * events behind it wait (a new invocation would free the slot, and the next event would overtake
 * the one being retried).
 */
export function handleDelivery(
  bus: EventBus,
  invocation: DeliveryInvocation,
  hooks?: InvokeHooks,
): Promise<InvokeOutcome> {
  return inSpan(SPANS.deliver, deliverySpanOptions(invocation), (span, ctx) =>
    deliver(bus, invocation, span, ctx, hooks),
  );
}

async function deliver(
  bus: EventBus,
  invocation: DeliveryInvocation,
  span: Span,
  traceContext: Context,
  hooks: InvokeHooks | undefined,
): Promise<InvokeOutcome> {
  const { options } = bus;
  const sub = await bus.subscriptions.get(invocation.subscriptionId);
  if (!sub) {
    options.logger.info('delivery for a removed subscription dropped', {
      subscriptionId: invocation.subscriptionId,
    });
    return { status: 'ack' };
  }
  const inPlace = bus.orderingKeyOf(sub, invocation.event) !== undefined;
  for (let attempt = invocation.attempt; ; attempt++) {
    const outcome = await attemptDelivery(bus, sub, invocation, attempt, {
      inPlace,
      hooks,
      span,
      traceContext,
    });
    if (outcome !== 'again') return outcome;
  }
}

/** One call of the target; `'again'` when an ordered subscription retries in place after a backoff. */
async function attemptDelivery(
  bus: EventBus,
  sub: SubscriptionRecord,
  invocation: DeliveryInvocation,
  attempt: number,
  {
    inPlace,
    hooks,
    span,
    traceContext,
  }: { inPlace: boolean; hooks: InvokeHooks | undefined; span: Span; traceContext: Context },
): Promise<InvokeOutcome | 'again'> {
  const { options } = bus;
  const event = invocation.event as CloudEvent;
  const labels = { type: event.type, subscription: sub.id };
  try {
    const ctx = {
      subscription: sub,
      attempt,
      publishedAt: invocation.publishedAt,
      ...(invocation.replayId ? { replayId: invocation.replayId } : {}),
      traceContext,
    };
    if (sub.target.kind === 'http' && !options.targets?.http) {
      await deliverHttp(sub.target.url, event, {
        timeoutMs: options.httpTimeoutMs,
        fetch: options.fetch,
        clock: options.clock,
        ...(options.signingSecret ? { signingSecret: options.signingSecret } : {}),
      });
    } else {
      const target = options.targets?.[sub.target.kind];
      if (!target) throw new NonRetriableDeliveryError(`no handler for target kind '${sub.target.kind}'`);
      await target(event, ctx);
    }
    options.metrics.inc('eventsDelivered', labels);
    options.metrics.observe('deliveryLatency', Math.max(0, options.clock() - invocation.publishedAt) / 1000);
    return { status: 'ack' };
  } catch (error) {
    recordFailure(span, error);
    options.metrics.inc('eventsDeliveryFailed', labels);
    const lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const permanent = error instanceof NonRetriableDeliveryError || error instanceof PermanentDeliveryError;
    if (!permanent && attempt < sub.maxAttempts) {
      const delayMs = backoff(bus, attempt);
      options.logger.warn('delivery failed, will retry', {
        subscriptionId: sub.id,
        eventId: event.id,
        attempt,
        delayMs,
        error: lastError,
        ...(inPlace ? { inPlace } : {}),
      });
      if (inPlace) {
        // The key stays held (the invocation is not acknowledged), the dispatcher slot does not:
        // a failing endpoint must not stop every other task and delivery while it is waited out.
        hooks?.releaseSlot();
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return 'again';
      }
      const next = bus.envelope(
        sub,
        invocation.event,
        attempt + 1,
        invocation.publishedAt,
        invocation.replayId,
        delayMs,
      );
      await bus.enqueue([next]);
      return { status: 'ack' };
    }
    const kind = error instanceof NonRetriableDeliveryError ? error.dlqKind : 'delivery';
    const entry = await options.store.addDlq({
      kind,
      reason: permanent ? 'rejected' : 'retries exhausted',
      attempts: attempt,
      lastError,
      subscriptionId: sub.id,
      event: invocation.event,
      createdAt: options.clock(),
    });
    options.metrics.inc('dlqEntries', { kind });
    options.logger.warn('delivery dead-lettered', {
      subscriptionId: sub.id,
      eventId: event.id,
      dlqId: entry.id,
      error: lastError,
    });
    try {
      await options.onDeadLetter?.(entry);
    } catch (error) {
      // The entry is written: failing here would redeliver the event and dead-letter it again.
      options.logger.error('onDeadLetter hook failed', { dlqId: entry.id, error: String(error) });
    }
    return { status: 'ack' };
  }
}

/** Exponential backoff with full jitter before attempt `attempt + 1`. */
function backoff(bus: EventBus, attempt: number): number {
  const { baseDelayMs = 500, maxDelayMs = 60_000 } = bus.options.retry;
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(bus.options.random() * ceiling);
}
