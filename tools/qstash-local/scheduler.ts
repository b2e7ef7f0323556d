import { callbackBody, callbackMessage } from './callbacks.js';
import { type Attempt, attemptDelivery } from './deliver.js';
import { retryAfterMs } from './durations.js';
import { type AttemptResponse, type DlqEntry, newDlqId, type StoredMessage } from './message.js';
import { compileRetryDelay, type RetryBackoff } from './retry-delay.js';
import type { QStashStore } from './store.js';

export interface SchedulerOptions {
  store: QStashStore;
  signingKey: string;
  /** How often to look for due messages when nothing wakes the loop. */
  pollIntervalMs: number;
  /** An attempt not heard of for this long is assumed dead and its message delivered again. */
  visibilityTimeoutMs: number;
  /** Deliveries in flight at once, from this process. */
  maxConcurrency: number;
  /** Delay before a retry when neither the response nor the message says otherwise. */
  backoff: RetryBackoff;
  /** Per-attempt timeout when the message sets no Upstash-Timeout. */
  deliveryTimeoutMs: number;
  onError: (error: unknown) => void;
}

/**
 * The delivery loop: claims due messages, sends them, and settles each attempt (done, retry with
 * backoff, or DLQ), firing callbacks as new messages. Attempts in progress keep their visibility
 * deadline fresh with a heartbeat; if this process dies, another one re-delivers after it passes.
 */
export class Scheduler {
  private readonly active = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    const { pollIntervalMs, visibilityTimeoutMs } = this.o;
    this.timers = [
      setInterval(() => this.wake(), pollIntervalMs),
      setInterval(() => this.heartbeat(), Math.max(10, Math.floor(visibilityTimeoutMs / 3))),
    ];
    this.wake();
  }

  /** Look for due messages now (after a publish, or when a delivery slot frees up). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch(this.o.onError)
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stop claiming; abort attempts in progress and hand their messages back, unchanged, as due. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.ticking;
    for (const controller of this.active.values()) controller.abort();
    await Promise.allSettled([...this.running]);
  }

  private async tick(): Promise<void> {
    const { store, maxConcurrency, visibilityTimeoutMs } = this.o;
    const now = Date.now();
    await store.reclaim(now);
    const room = maxConcurrency - this.active.size;
    if (room <= 0) return;
    for (const message of await store.claim(now, now + visibilityTimeoutMs, room)) {
      const run = this.deliver(message).catch(this.o.onError);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  private heartbeat(): void {
    const deadline = Date.now() + this.o.visibilityTimeoutMs;
    this.o.store.extend([...this.active.keys()], deadline).catch(this.o.onError);
  }

  private async deliver(message: StoredMessage): Promise<void> {
    const controller = new AbortController();
    this.active.set(message.messageId, controller);
    try {
      const attempt = await attemptDelivery(message, {
        signingKey: this.o.signingKey,
        // Upstash-Timeout can only shorten the plan's maximum (a longer one would also overflow the
        // timer, which fires at once past 2^31 - 1 ms).
        timeoutMs: Math.min(message.timeoutMs ?? this.o.deliveryTimeoutMs, this.o.deliveryTimeoutMs),
        signal: controller.signal,
      });
      if (!attempt.ok && attempt.response === undefined && attempt.aborted) {
        await this.o.store.settle(message.messageId, { kind: 'retry', message, dueAt: Date.now() });
        return;
      }
      await this.settle(message, attempt);
    } finally {
      this.active.delete(message.messageId);
      this.wake();
    }
  }

  private async settle(message: StoredMessage, attempt: Attempt): Promise<void> {
    const { store } = this.o;
    const now = Date.now();
    if (attempt.ok) {
      if (await store.settle(message.messageId, { kind: 'done' }))
        await this.callback(message, attempt.response);
      return;
    }
    const nonRetryable =
      'headers' in attempt &&
      attempt.response.status === 489 &&
      attempt.headers.get('upstash-nonretryable-error') === 'true';
    if (!nonRetryable && message.retried < message.maxRetries) {
      const dueAt = now + this.retryDelay(message, attempt);
      const retry = { ...message, retried: message.retried + 1 };
      if (await store.settle(message.messageId, { kind: 'retry', message: retry, dueAt })) {
        await this.callback(message, attempt.response);
      }
      return;
    }
    const response: AttemptResponse = attempt.response ?? {
      status: 0,
      header: {},
      bodyBase64: Buffer.from(attempt.error).toString('base64'),
    };
    const entry: DlqEntry = { dlqId: newDlqId(now), message, response, failedAt: now };
    if (!(await store.settle(message.messageId, { kind: 'dlq', entry }, now))) return;
    await this.callback(message, attempt.response);
    if (message.failureCallback) {
      const body = callbackBody(message, response, entry.dlqId);
      await this.enqueue(callbackMessage(message.failureCallback, message, body, now));
    }
  }

  /** Retry-After from the destination wins, then the message's Upstash-Retry-Delay, then the default. */
  private retryDelay(message: StoredMessage, attempt: Attempt): number {
    const asked = 'headers' in attempt ? retryAfterMs(attempt.headers) : undefined;
    if (asked !== undefined) return asked;
    if (message.retryDelay !== undefined) {
      // Checked at publish for `retried = 0` only: at a later retry it may divide by zero or take
      // the root of a negative. The default backoff then, rather than a message stuck in flight.
      try {
        return compileRetryDelay(message.retryDelay)(message.retried);
      } catch {
        return this.o.backoff(message.retried);
      }
    }
    return this.o.backoff(message.retried);
  }

  /** `Upstash-Callback` fires after every attempt that got a response. */
  private async callback(message: StoredMessage, response: AttemptResponse | undefined): Promise<void> {
    if (!message.callback || response === undefined) return;
    const body = callbackBody(message, response);
    await this.enqueue(callbackMessage(message.callback, message, body, Date.now()));
  }

  private async enqueue(message: StoredMessage): Promise<void> {
    await this.o.store.enqueue(message);
    this.wake();
  }
}
