import type { Phase, Priority, StoredCloudEvent } from '../store/index.js';

/**
 * What travels on the transport. No code ever travels: names refer to registered workflows,
 * tasks and subscriptions.
 */
export type Invocation = TaskInvocation | DeliveryInvocation;

/** Run one attempt of one task (or of its compensation). */
export interface TaskInvocation {
  kind: 'task';
  runId: string;
  /** The registered workflow the run belongs to (tells the handler which code to run). */
  workflow: string;
  task: string;
  attempt: number;
  phase: Phase;
  /** W3C trace context of the span that enqueued it. */
  traceparent?: string;
  tracestate?: string;
  /** Epoch ms when it was enqueued (for queue latency). */
  enqueuedAt?: number;
}

/** Deliver one event to one subscription. */
export interface DeliveryInvocation {
  kind: 'delivery';
  subscriptionId: string;
  event: StoredCloudEvent;
  attempt: number;
  /** Epoch ms when the event was published (for publish -> deliver latency). */
  publishedAt: number;
  /** Set when this delivery comes from a replay; lets a consumer start fresh work for it. */
  replayId?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface EnqueueOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** A second enqueue with the same id (while the first is pending) is dropped. */
  dedupId?: string;
  /** Invocations sharing a flow key run at most `flowLimit` at once. */
  flowKey?: string;
  flowLimit?: number;
  priority?: Priority;
}

export interface Envelope {
  invocation: Invocation;
  options?: EnqueueOptions;
}

/** What the invoke handler tells the transport about one delivery. */
export type InvokeOutcome =
  /**
   * Done (or nothing to do): acknowledge, never deliver again. `followUps` (what the invocation
   * released) are enqueued by the transport before the acknowledgement lands, so a crash in between
   * means a redelivery, never a lost follow-up; the Redis dispatcher sends them with the ack and
   * its next claim in one round trip.
   */
  | { status: 'ack'; followUps?: Envelope[] }
  /** A crash-like failure: the transport may deliver the same invocation again later. */
  | { status: 'retry'; error: string; delayMs?: number };

/** What a dispatching transport offers the handler of one invocation. */
export interface InvokeHooks {
  /**
   * The invocation's own work is done; what is left (recording its outcome) needs no slot. The
   * dispatcher starts its next invocation at once, so that one's first store call travels with
   * this one's last instead of a round trip later. The acknowledgement still waits for the outcome.
   */
  releaseSlot(): void;
}

export type InvokeHandler = (invocation: Invocation, hooks?: InvokeHooks) => Promise<InvokeOutcome>;

/**
 * The Transport port: push-shaped, because QStash is. `enqueue` now; later the invocation
 * arrives at the app's one invoke handler (over `POST /invoke`, or called in-process by a dispatcher).
 */
export interface Transport {
  readonly name: string;
  /** Enqueues a batch in one round trip where the backend allows. */
  enqueue(items: Envelope[]): Promise<void>;
  /** Starts delivering to `handler` (pull-based transports); push-based ones deliver over HTTP instead. */
  start(handler: InvokeHandler): Promise<void>;
  /** Stops taking new invocations and waits for the in-flight ones to finish. */
  stop(): Promise<void>;
}
