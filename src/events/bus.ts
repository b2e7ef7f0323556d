import type { Context as TraceContext } from '@opentelemetry/api';
import { SPANS } from '../observability/attributes.js';
import { publishSpanOptions, withTraceContext } from '../observability/event-tracing.js';
import type { Logger } from '../observability/logger.js';
import { silentLogger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { noopMetrics } from '../observability/metrics.js';
import { injectContext, inSpan } from '../observability/tracing.js';
import {
  type BusStore,
  type DlqEntry,
  dedupId,
  GroupCommit,
  type LoggedEvent,
  type StoredCloudEvent,
  type SubscriptionRecord,
  type SubscriptionTarget,
  withResends,
} from '../store/index.js';
import type {
  DeliveryInvocation,
  Envelope,
  InvokeHooks,
  InvokeOutcome,
  Transport,
} from '../transport/index.js';
import { handleDelivery } from './delivery.js';
import type { CloudEvent } from './envelope.js';
import type { Issue } from './issues.js';
import type { SchemaRegistry } from './schema-registry.js';
import { SubscriptionCache, type SubscriptionSnapshot } from './subscription-cache.js';
import { validatePattern } from './topic-pattern.js';

/** What a target is told about the delivery it handles. */
export interface DeliveryContext {
  subscription: SubscriptionRecord;
  attempt: number;
  /** When the bus accepted the event (epoch ms). */
  publishedAt: number;
  /** Set when the delivery comes from a replay (of the log or of a DLQ entry). */
  replayId?: string;
  /** The trace context of this delivery's `waooaw.deliver` span: the parent for the target's spans. */
  traceContext?: TraceContext;
}

/** Delivers an event to one kind of target. Throw to fail the attempt. */
export type TargetHandler = (event: CloudEvent, ctx: DeliveryContext) => Promise<void>;

export interface EventBusOptions {
  store: BusStore;
  transport: Pick<Transport, 'enqueue'>;
  /** Checks `data` by event type; without one every well-formed event passes. */
  // biome-ignore lint/suspicious/noExplicitAny: any registry, whatever types it knows.
  schemas?: SchemaRegistry<any>;
  /** Handlers by target kind; `http` is built in (signed with `signingSecret`). */
  targets?: Partial<Record<SubscriptionTarget['kind'], TargetHandler>>;
  signingSecret?: string;
  fetch?: typeof fetch;
  httpTimeoutMs?: number;
  clock?: () => number;
  random?: () => number;
  logger?: Logger;
  metrics?: Metrics;
  /** How often a replica checks for subscription changes made elsewhere. Default 1 s. */
  subscriptionCacheMs?: number;
  /** Share the subscription cache's data with other buses of this process (one per request on Workers). */
  subscriptionSnapshot?: SubscriptionSnapshot;
  /** Delivery retry backoff (full jitter). */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Default attempts of a subscription that sets none. */
  defaultMaxAttempts?: number;
  /**
   * Events published again with the same `source` and `id` within this window are accepted but not
   * logged or delivered twice (so a producer may retry a publish). Default 24 h; 0 turns it off.
   */
  dedupWindowMs?: number;
  /** The ordering key of an event for an ordered subscription. Default: the event's `subject`. */
  orderingKey?: (subscription: SubscriptionRecord, event: StoredCloudEvent) => string | undefined;
  /** Told about every delivery that reaches a DLQ (after the entry is written). */
  onDeadLetter?: (entry: DlqEntry) => void | Promise<void>;
}

/** Thrown by `publish` for events that fail validation; nothing was written. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(readonly issues: Issue[]) {
    super(`invalid event: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

/** Thrown by `subscribe(..., { onlyIfAbsent: true })` for an id that exists; nothing was written. */
export class SubscriptionExistsError extends Error {
  override readonly name = 'SubscriptionExistsError';
  constructor(readonly id: string) {
    super(`subscription '${id}' already exists`);
  }
}

export interface PublishResult {
  /** One per event, in order; `duplicate` when it was already published (same source and id). */
  events: { id: string; seq: string; duplicate?: true }[];
  /** Deliveries enqueued (one per matching subscription per event). */
  deliveries: number;
}

export interface NewSubscription {
  id?: string;
  pattern: string;
  target: SubscriptionTarget;
  maxAttempts?: number;
  ordered?: boolean;
}

export interface ReplayQuery {
  from?: number;
  to?: number;
  types?: string[];
  /** Only to this subscription (it must match the events' types). */
  subscriptionId?: string;
  limit?: number;
}

export interface ReplayResult {
  replayId: string;
  events: number;
  deliveries: number;
}

export type ResolvedBusOptions = Required<
  Omit<
    EventBusOptions,
    'schemas' | 'signingSecret' | 'onDeadLetter' | 'targets' | 'orderingKey' | 'subscriptionSnapshot'
  >
> &
  Pick<
    EventBusOptions,
    'schemas' | 'signingSecret' | 'onDeadLetter' | 'targets' | 'orderingKey' | 'subscriptionSnapshot'
  >;

/** Logged events remembered while their fan-out fails (the lifecycle backlog's default size). */
const LOGGED_NOT_FANNED_OUT_MAX = 10_000;

/**
 * The event bus: validate, log, fan out. Each matching subscription gets one delivery, carried by
 * the transport to the invoke handler; failures retry with backoff, then land in that
 * subscription's DLQ. Publishing many events at once is one call.
 *
 * @example
 * const bus = new EventBus({ store, transport });
 * await bus.subscribe({ pattern: 'orders.#', target: { kind: 'http', url: 'https://example.com/hook' } });
 * await bus.publish([createEvent({ type: 'orders.created', source: '/shop', data: { id: 1 } })]);
 */
export class EventBus {
  readonly options: ResolvedBusOptions;
  readonly subscriptions: SubscriptionCache;
  private readonly log: GroupCommit<{ event: StoredCloudEvent; dedup: boolean }, LoggedEvent>;
  private readonly outbox: GroupCommit<Envelope, void>;
  /**
   * Events logged here whose fan-out failed, by source and id: published again (the lifecycle
   * event backlog does; a producer retries), they are fanned out without a second copy in the log.
   */
  private readonly loggedNotFannedOut = new Map<string, LoggedEvent>();

  constructor(options: EventBusOptions) {
    this.options = {
      fetch: globalThis.fetch.bind(globalThis),
      httpTimeoutMs: 10_000,
      clock: Date.now,
      random: Math.random,
      logger: silentLogger,
      metrics: noopMetrics,
      subscriptionCacheMs: 1_000,
      retry: {},
      defaultMaxAttempts: 5,
      dedupWindowMs: 24 * 60 * 60_000,
      ...options,
    };
    const { store, transport, clock } = this.options;
    this.subscriptions = new SubscriptionCache(
      store,
      this.options.subscriptionCacheMs,
      clock,
      this.options.subscriptionSnapshot,
    );
    this.log = new GroupCommit((entries) => this.append(entries));
    // Every delivery carries a dedup id: enqueueing it again after a lost reply adds nothing.
    this.outbox = new GroupCommit<Envelope, void>(async (envelopes) => {
      await withResends(() => transport.enqueue(envelopes));
      return envelopes.map(() => undefined);
    });
  }

  /**
   * Validates every event first (all or nothing), appends them to the log, and fans them out.
   * `trusted` skips the schema check for events built by waooaw itself (lifecycle events), whose
   * shape tests pin down.
   */
  async publish(
    events: CloudEvent | CloudEvent[],
    { trusted = false }: { trusted?: boolean } = {},
  ): Promise<PublishResult> {
    const list = Array.isArray(events) ? events : [events];
    const issues = trusted ? [] : this.validate(list);
    if (issues.length > 0) throw new EventValidationError(issues);
    if (list.length === 0) return { events: [], deliveries: 0 };
    return inSpan(SPANS.publish, publishSpanOptions(list), async (_span, ctx) => {
      // Events without a trace join the publish span's, so their deliveries become its children.
      const carrier = injectContext(ctx);
      const traced = list.map((e) => withTraceContext(e, carrier));
      const logged = await this.logOnce(traced as StoredCloudEvent[], trusted);
      const fresh = logged.filter((l) => !l.duplicate);
      const deliveries = await this.fanOut(fresh).catch(async (error) => {
        // Logged but not delivered. A producer's retry must be let through the dedup window: the
        // marks are released. Published again here (the lifecycle backlog does it for internal
        // events, and a producer's retry when the marks could not be released), the events are
        // taken from memory and fanned out, not logged twice or taken for duplicates.
        const forgotten = trusted
          ? false
          : await this.options.store.forgetEvents(fresh.map((l) => l.event)).then(
              () => true,
              () => false,
            );
        if (!forgotten) for (const l of fresh) this.rememberNotFannedOut(l);
        throw error;
      });
      // Fanned out: no longer owed (nothing to look up on the usual path, where none is).
      if (this.loggedNotFannedOut.size > 0) {
        for (const l of fresh) this.loggedNotFannedOut.delete(dedupId(l.event));
      }
      for (const l of fresh) this.options.metrics.inc('eventsPublished', { type: l.event.type });
      return {
        events: logged.map((l) =>
          l.duplicate
            ? { id: l.event.id, seq: '', duplicate: true as const }
            : { id: l.event.id, seq: l.seq },
        ),
        deliveries,
      };
    });
  }

  /**
   * Appends events to the log, in order; an event logged here before whose fan-out failed is taken
   * from memory instead, not appended again. Internal (trusted) events have fresh random ids: they
   * need no dedup.
   */
  private async logOnce(events: StoredCloudEvent[], trusted: boolean): Promise<LoggedEvent[]> {
    const known =
      this.loggedNotFannedOut.size > 0 ? events.map((e) => this.loggedNotFannedOut.get(dedupId(e))) : [];
    const unlogged = known.length > 0 ? events.filter((_, i) => !known[i]) : events;
    const appended =
      unlogged.length > 0 ? await this.log.submit(unlogged.map((event) => ({ event, dedup: !trusted }))) : [];
    if (known.length === 0) return appended;
    let next = 0;
    return known.map((k) => k ?? appended[next++]!);
  }

  /** Bounded: past the bound the oldest is forgotten (published again, it is logged again). */
  private rememberNotFannedOut(logged: LoggedEvent): void {
    this.loggedNotFannedOut.delete(dedupId(logged.event));
    this.loggedNotFannedOut.set(dedupId(logged.event), logged);
    if (this.loggedNotFannedOut.size > LOGGED_NOT_FANNED_OUT_MAX) {
      this.loggedNotFannedOut.delete(this.loggedNotFannedOut.keys().next().value!);
    }
  }

  /**
   * One log append for a group-committed batch; only events from outside are deduplicated. Its
   * token makes a resend after a lost reply answer with what it appended, not with duplicates.
   */
  private append(entries: { event: StoredCloudEvent; dedup: boolean }[]): Promise<LoggedEvent[]> {
    const { store, clock, dedupWindowMs } = this.options;
    const events = entries.map((e) => e.event);
    const dedup = entries.map((e) => e.dedup);
    // Only events from outside need it: a resend without one logs internal events again (at least
    // once), and their appends, on every task's hot path, pay no reply record.
    const token = dedup.includes(true) ? crypto.randomUUID() : '';
    const options = { dedupWindowMs, dedup, token };
    const now = clock();
    return withResends(() => store.appendEvents(events, now, options));
  }

  /** Checks envelopes' data against the schema registry; issue paths are prefixed by the event index. */
  validate(events: readonly CloudEvent[]): Issue[] {
    const { schemas } = this.options;
    if (!schemas) return [];
    return events.flatMap((event, i) => {
      const result = schemas.validate(event);
      const prefix = events.length > 1 ? `[${i}].` : '';
      return result.ok ? [] : result.issues.map((issue) => ({ ...issue, path: `${prefix}${issue.path}` }));
    });
  }

  /**
   * Creates (or, with a given id, replaces) a subscription. With `onlyIfAbsent`, a given id that
   * exists throws SubscriptionExistsError and changes nothing, atomically in the store.
   */
  async subscribe(
    input: NewSubscription,
    { onlyIfAbsent = false }: { onlyIfAbsent?: boolean } = {},
  ): Promise<SubscriptionRecord> {
    const issues = validatePattern(input.pattern);
    if (issues.length > 0) throw new EventValidationError(issues);
    const record: SubscriptionRecord = {
      id: input.id ?? `sub_${crypto.randomUUID().replaceAll('-', '')}`,
      pattern: input.pattern,
      target: input.target,
      maxAttempts: input.maxAttempts ?? this.options.defaultMaxAttempts,
      createdAt: this.options.clock(),
      ...(input.ordered ? { ordered: true } : {}),
    };
    if (!(await this.options.store.putSubscription(record, { onlyIfAbsent }))) {
      throw new SubscriptionExistsError(record.id);
    }
    this.subscriptions.invalidate();
    return record;
  }

  /**
   * Makes code-defined subscriptions (fixed ids) exist as given: one read, then a write only for
   * those missing or changed (pattern, target, attempts, ordering), so every replica can run it at
   * start and a deploy that changes a pattern takes effect.
   */
  async ensureSubscriptions(subs: (NewSubscription & { id: string })[]): Promise<void> {
    const existing = new Map((await this.options.store.listSubscriptions()).map((s) => [s.id, s]));
    for (const sub of subs) {
      const current = existing.get(sub.id);
      const same =
        current !== undefined &&
        current.pattern === sub.pattern &&
        JSON.stringify(current.target) === JSON.stringify(sub.target) &&
        current.maxAttempts === (sub.maxAttempts ?? this.options.defaultMaxAttempts) &&
        (current.ordered ?? false) === (sub.ordered ?? false);
      if (!same) await this.subscribe(sub);
    }
  }

  async unsubscribe(id: string): Promise<boolean> {
    const removed = await this.options.store.deleteSubscription(id);
    this.subscriptions.invalidate();
    return removed;
  }

  /** The invoke handler for deliveries. */
  handleDelivery(invocation: DeliveryInvocation, hooks?: InvokeHooks): Promise<InvokeOutcome> {
    return handleDelivery(this, invocation, hooks);
  }

  /** Re-delivers logged events (by time range and type) to their subscriptions, or to one. */
  async replay(query: ReplayQuery): Promise<ReplayResult> {
    const replayId = `rpl_${crypto.randomUUID().replaceAll('-', '')}`;
    const logged = await this.options.store.readEvents({
      limit: query.limit ?? 1_000,
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(query.types ? { types: query.types } : {}),
    });
    const deliveries = await this.fanOut(logged, { replayId, only: query.subscriptionId });
    return { replayId, events: logged.length, deliveries };
  }

  /** Delivers one event to one subscription again, as attempt 1 (DLQ replay). */
  async redeliver(subscriptionId: string, event: StoredCloudEvent, replayId: string): Promise<void> {
    const sub = await this.subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`subscription '${subscriptionId}' no longer exists`);
    await this.outbox.submit([this.envelope(sub, event, 1, this.options.clock(), replayId)]);
  }

  /** Enqueues one delivery per (event, matching subscription) in one batch. */
  private async fanOut(
    logged: LoggedEvent[],
    replay?: { replayId: string; only?: string | undefined },
  ): Promise<number> {
    const subs = this.subscriptions.current() ?? (await this.subscriptions.all());
    const envelopes: Envelope[] = [];
    for (const { event, receivedAt } of logged) {
      for (const sub of subs) {
        if (replay?.only !== undefined && sub.record.id !== replay.only) continue;
        if (!sub.matches(event.type)) continue;
        envelopes.push(this.envelope(sub.record, event, 1, receivedAt, replay?.replayId));
      }
    }
    if (envelopes.length > 0) await this.outbox.submit(envelopes);
    return envelopes.length;
  }

  /** One delivery attempt as a transport envelope (ordered subscriptions get a flow key of 1). */
  envelope(
    sub: SubscriptionRecord,
    event: StoredCloudEvent,
    attempt: number,
    publishedAt: number,
    replayId?: string,
    delayMs?: number,
  ): Envelope {
    const invocation: DeliveryInvocation = {
      kind: 'delivery',
      subscriptionId: sub.id,
      event,
      attempt,
      publishedAt,
    };
    if (replayId) invocation.replayId = replayId;
    if (typeof event.traceparent === 'string') invocation.traceparent = event.traceparent;
    if (typeof event.tracestate === 'string') invocation.tracestate = event.tracestate;
    const envelope: Envelope = {
      invocation,
      // CloudEvents ids are unique per source only: two sources may both send id 42. As JSON, two
      // different deliveries never share an id, whatever characters the parts hold.
      options: { dedupId: JSON.stringify([sub.id, event.source, event.id, attempt, replayId ?? '']) },
    };
    if (delayMs) envelope.options!.delayMs = delayMs;
    const key = this.orderingKeyOf(sub, event);
    if (key !== undefined) {
      envelope.options!.flowKey = `sub:${sub.id}:${key}`;
      envelope.options!.flowLimit = 1;
    }
    return envelope;
  }

  /** The key an ordered subscription delivers `event` in order under; undefined when unordered. */
  orderingKeyOf(sub: SubscriptionRecord, event: StoredCloudEvent): string | undefined {
    if (!sub.ordered) return undefined;
    return this.options.orderingKey?.(sub, event) ?? (event.subject as string | undefined);
  }

  /** Sends envelopes through the shared outbox (group-committed with other callers). */
  async enqueue(envelopes: Envelope[]): Promise<void> {
    await this.outbox.submit(envelopes);
  }
}
