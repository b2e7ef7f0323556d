import {
  type CloudEvent,
  createEvent,
  EventBacklog,
  EventBus,
  type EventBusOptions,
  type PublishResult,
  SchemaRegistry,
  type TargetHandler,
} from '../events/index.js';
import { type Logger, silentLogger } from '../observability/logger.js';
import { type Metrics, noopMetrics } from '../observability/metrics.js';
import {
  type AnyWorkflow,
  Orchestrator,
  type OrchestratorOptions,
  WorkflowRegistry,
} from '../orchestration/index.js';
import type { DlqEntry, Priority, Store } from '../store/index.js';
import type { Invocation, InvokeHandler, Transport } from '../transport/index.js';
import { replayDlqEntry } from './dlq-replay.js';
import { registerOrchestrationSchemas } from './event-schemas.js';
import { EventToTaskMapper, WORKFLOW_START } from './event-to-task-mapper.js';
import { createInvokeHandler, InvocationGauge } from './invoke-handler.js';
import { metricsSnapshotEvent } from './metrics-snapshot.js';
import { ORCHESTRATION_HANDLER, OrchestrationEventHandler } from './orchestration-event-handler.js';
import { TaskEventPublisher } from './task-event-publisher.js';

/** The DLQ reason of an invocation the transport gave up on. */
export const TRANSPORT_GAVE_UP = 'transport gave up';

/** A code-defined subscription to an in-process handler (a consumer of result events, say). */
export interface HandlerSubscription {
  id: string;
  pattern: string;
  handler: TargetHandler;
  maxAttempts?: number;
  /** One delivery at a time per ordering key (the event's `subject`), in publish order. */
  ordered?: boolean;
}

export interface WaooawOptions {
  store: Store;
  transport: Transport;
  workflows?: AnyWorkflow[];
  /** In-process consumers, subscribed durably under their ids at `start()`. */
  consumers?: HandlerSubscription[];
  /** Extra event schemas (the orchestration ones are always registered, and that namespace is strict). */
  schemas?: SchemaRegistry;
  workerId?: string;
  /** Invocation slots of this process (reported in the metrics snapshot). */
  slots?: number;
  /** Signs deliveries to HTTP subscribers. */
  signingSecret?: string;
  /**
   * Lifecycle events the bus could not take (its store unreachable past the resends, about 10 s)
   * are kept in memory, up to this many, and published again in order once it answers; `stop()`
   * tries them once more. Default 10,000. 0 turns it off (then they are logged and lost): for a
   * runtime whose timers end with the request, such as a Worker.
   */
  eventBacklog?: number;
  logger?: Logger;
  metrics?: Metrics;
  clock?: () => number;
  random?: () => number;
  fetch?: typeof fetch;
  bus?: Partial<
    Pick<
      EventBusOptions,
      'subscriptionCacheMs' | 'retry' | 'defaultMaxAttempts' | 'httpTimeoutMs' | 'subscriptionSnapshot'
    >
  >;
  orchestrator?: Partial<
    Pick<
      OrchestratorOptions,
      | 'defaultTimeoutMs'
      | 'leaseGraceMs'
      | 'queuedTimeoutMs'
      | 'detachLifecycleEvents'
      | 'runRetentionMs'
      | 'runEndGraceMs'
    >
  >;
}

/**
 * waooaw assembled: the bus, the orchestrator and the bridge between them, over one Store and one
 * Transport. The same object serves every runtime; only the store and transport differ.
 *
 * @example
 * const app = createWaooaw({ store: new MemoryStore(), transport: new InProcessTransport(), workflows: [wf] });
 * await app.start();
 * await app.publish(createEvent({ type: 'trial.requested', source: '/signup', data: { email } }));
 */
export class Waooaw {
  readonly bus: EventBus;
  readonly orchestrator: Orchestrator;
  readonly registry: WorkflowRegistry;
  readonly store: Store;
  readonly transport: Transport;
  readonly invoke: InvokeHandler;
  readonly workerId: string;
  readonly logger: Logger;
  /** Where the parts count (`collectMetrics` reads it back for `GET /metrics`). */
  readonly metrics: Metrics;
  private readonly gauge: InvocationGauge;
  private readonly events: OrchestrationEventHandler;
  private readonly handlers = new Map<string, TargetHandler>();
  private readonly clock: () => number;
  /** Lifecycle events waiting to be published again (see `eventBacklog`). */
  private readonly backlog: EventBacklog | undefined;

  constructor(private readonly options: WaooawOptions) {
    const clock = options.clock ?? Date.now;
    const logger = options.logger ?? silentLogger;
    const metrics = options.metrics ?? noopMetrics;
    this.clock = clock;
    this.logger = logger;
    this.metrics = metrics;
    this.store = options.store;
    this.transport = options.transport;
    this.workerId = options.workerId ?? `worker-${crypto.randomUUID().slice(0, 8)}`;
    this.registry = new WorkflowRegistry(options.workflows ?? []);
    const schemas = registerOrchestrationSchemas(options.schemas ?? new SchemaRegistry());
    const mapper = new EventToTaskMapper(this.registry);
    let events: OrchestrationEventHandler | undefined;
    // Built once the handler exists (it needs the bus); the bus calls them per delivery.
    let eventTargets: ReturnType<OrchestrationEventHandler['targets']> | undefined;
    this.bus = new EventBus({
      store: this.store,
      transport: this.transport,
      schemas,
      targets: {
        handler: (event, ctx) => this.runHandler(event, ctx),
        workflow: (event, ctx) => eventTargets!.workflow(event, ctx),
        task: (event, ctx) => eventTargets!.task(event, ctx),
      },
      orderingKey: (sub, event) =>
        sub.target.kind === 'workflow'
          ? events!.orderingKey(sub.target.workflow, event as CloudEvent)
          : undefined,
      clock,
      logger,
      metrics,
      ...(options.random ? { random: options.random } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.signingSecret ? { signingSecret: options.signingSecret } : {}),
      ...options.bus,
    });
    const capacity = options.eventBacklog ?? 10_000;
    if (capacity > 0) {
      this.backlog = new EventBacklog({
        publish: (events) => this.bus.publish(events, { trusted: true }),
        capacity,
        logger,
        metrics,
      });
    }
    const publisher = new TaskEventPublisher({
      bus: this.bus,
      store: this.store,
      metrics,
      logger,
      clock,
      ...(this.backlog ? { backlog: this.backlog } : {}),
    });
    this.orchestrator = new Orchestrator({
      store: this.store,
      transport: this.transport,
      registry: this.registry,
      workerId: this.workerId,
      listener: publisher,
      logger,
      clock,
      ...(options.random ? { random: options.random } : {}),
      ...options.orchestrator,
    });
    events = new OrchestrationEventHandler(this.bus, this.orchestrator, mapper, this.registry);
    eventTargets = events.targets();
    this.events = events;
    this.handlers.set(ORCHESTRATION_HANDLER, events.targets().handler);
    for (const consumer of options.consumers ?? []) this.handlers.set(consumer.id, consumer.handler);
    this.gauge = new InvocationGauge(clock);
    this.invoke = createInvokeHandler(this.orchestrator, this.bus, this.gauge, logger);
  }

  /** Installs the durable subscriptions this app needs and starts taking invocations. */
  async start(): Promise<void> {
    await this.installSubscriptions();
    await this.transport.start(this.invoke);
    this.metrics.reportSlots?.(this.workerId, this.options.slots ?? 10);
  }

  /** Subscriptions only (push-based runtimes, where nothing is started in-process). */
  async installSubscriptions(): Promise<void> {
    const consumers = (this.options.consumers ?? []).map((c) => ({
      id: c.id,
      pattern: c.pattern,
      target: { kind: 'handler' as const, name: c.id },
      ...(c.maxAttempts ? { maxAttempts: c.maxAttempts } : {}),
      ...(c.ordered ? { ordered: true } : {}),
    }));
    await this.bus.ensureSubscriptions([...this.events.subscriptions(), ...consumers]);
  }

  /** Stops taking invocations and waits for the in-flight ones (drain). */
  async stop(): Promise<void> {
    await this.transport.stop();
    await this.orchestrator.drain();
    await this.backlog?.stop();
    this.metrics.reportSlots?.(this.workerId, 0);
    await this.metrics.flush?.();
  }

  publish(events: CloudEvent | CloudEvent[]): Promise<PublishResult> {
    return this.bus.publish(events);
  }

  /** Starts a workflow through the bus (`orchestration.workflow.start`), so the run has a trigger event. */
  async startWorkflow(
    workflow: string,
    input?: unknown,
    options: { priority?: Priority; idempotencyKey?: string } = {},
  ): Promise<{ eventId: string }> {
    const event = createEvent(
      {
        type: WORKFLOW_START,
        source: '/waooaw/api',
        data: {
          workflow,
          ...(input === undefined ? {} : { input }),
          ...(options.priority ? { priority: options.priority } : {}),
          ...(options.idempotencyKey ? { idempotency_key: options.idempotencyKey } : {}),
        },
      },
      { clock: this.clock },
    );
    await this.bus.publish(event);
    return { eventId: event.id };
  }

  /** Runs the lease sweeper once (interval on Node, Cron Trigger on Workers). */
  sweep(): Promise<number> {
    return this.orchestrator.sweep();
  }

  /** Publishes `orchestration.metrics.snapshot` (every 10 s on a timer or a cron). */
  async publishMetricsSnapshot(): Promise<CloudEvent> {
    const stats = await this.store.queueStats();
    const event = metricsSnapshotEvent({
      stats,
      activeWorkers: this.gauge.inFlight,
      slots: this.options.slots ?? 10,
      throughputPerMin: this.gauge.perMinute(),
      now: this.clock(),
      workerId: this.workerId,
    });
    await this.bus.publish(event);
    return event;
  }

  /**
   * Records an invocation the transport gave up on (QStash's failure callback, or a dispatcher
   * that hit its redelivery cap) as a DLQ entry: a task under its run, a delivery under its
   * subscription, so it can be seen and replayed.
   */
  async deadLetter(
    invocation: Invocation,
    lastError: string,
    attempts = invocation.attempt,
  ): Promise<DlqEntry> {
    const base = { reason: TRANSPORT_GAVE_UP, attempts, lastError, createdAt: this.clock() };
    const entry = await this.store.addDlq(
      invocation.kind === 'task'
        ? { ...base, kind: 'task', runId: invocation.runId, task: invocation.task }
        : { ...base, kind: 'delivery', subscriptionId: invocation.subscriptionId, event: invocation.event },
    );
    this.metrics.inc('dlqEntries', { kind: entry.kind });
    this.logger.warn('transport gave up on an invocation', {
      kind: entry.kind,
      dlqId: entry.id,
      subscriptionId: entry.subscriptionId,
      runId: entry.runId,
      task: entry.task,
      error: lastError,
    });
    return entry;
  }

  replayDlq(id: string) {
    return replayDlqEntry(this.store, this.bus, this.orchestrator, id);
  }

  private async runHandler(event: CloudEvent, ctx: Parameters<TargetHandler>[1]): Promise<void> {
    const target = ctx.subscription.target;
    const handler = target.kind === 'handler' ? this.handlers.get(target.name) : undefined;
    if (!handler)
      throw new Error(
        `no in-process handler '${target.kind === 'handler' ? target.name : target.kind}' here`,
      );
    await handler(event, ctx);
  }
}

export function createWaooaw(options: WaooawOptions): Waooaw {
  return new Waooaw(options);
}
