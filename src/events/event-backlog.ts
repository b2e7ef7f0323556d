import type { Logger } from '../observability/logger.js';
import { type Metrics, noopMetrics } from '../observability/metrics.js';
import { dedupId, isNoAnswer } from '../store/index.js';
import type { CloudEvent } from './envelope.js';

export interface EventBacklogOptions {
  /** Publishes a batch of kept events (the bus, trusted: they were built by waooaw). */
  publish: (events: CloudEvent[]) => Promise<unknown>;
  /** Events kept at most; past it the oldest is dropped (and logged). */
  capacity: number;
  logger: Logger;
  /** Counts events kept (`eventsKept`) and lost (`eventsLost` by reason). */
  metrics?: Metrics;
  /** First wait before publishing again; doubles up to `maxRetryMs` while the bus still refuses. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** Events published again per bus call. */
const BATCH = 100;

/**
 * Events the bus could not take because its store (or queue) did not answer, for longer than a
 * call is resent: kept in memory in order and published again once it answers. Once something is
 * kept, later events queue behind it, so they reach subscribers in the order they happened and
 * an unreachable store is not tried once per event. A refusal (an error the server answered, such
 * as a script error or an out-of-memory refusal) is not kept: sent again it would most likely be
 * refused again, and hold back every event behind it.
 *
 * For a long-lived process: what is still kept when it stops is tried once more, then logged as
 * lost. It does not survive the process (the state changes these events report are in the store).
 */
export class EventBacklog {
  private readonly kept: CloudEvent[] = [];
  /**
   * Source and id of every event in the backlog (kept or being sent): the same event reported
   * again meanwhile (a run's end the sweeper announces every grace period) is kept once.
   */
  private readonly identities = new Set<string>();
  private readonly metrics: Metrics;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  /** Since the backlog was last empty: events dropped for capacity, and events kept. */
  private dropped = 0;
  private keptSinceEmpty = 0;
  private lost = 0;
  private stopped = false;
  private sending = 0;

  constructor(private readonly options: EventBacklogOptions) {
    this.metrics = options.metrics ?? noopMetrics;
    this.retryMs = options.retryMs ?? 500;
    this.maxRetryMs = options.maxRetryMs ?? 5_000;
    this.delay = this.retryMs;
  }

  /** Events waiting to be published again, the batch being sent included. */
  get size(): number {
    return this.kept.length + this.sending;
  }

  /**
   * Whether an event the bus failed to take with `error` is one to keep: the store or the queue
   * gave no answer (a connection lost or refused, a timeout, a server not running commands yet).
   * Anything else (a refusal, a script error, a bug) is not: retried for ever it would hold back
   * every event behind it.
   */
  static keeps(error: unknown): boolean {
    return isNoAnswer(error);
  }

  /**
   * Keeps `event` to publish later, after those kept before it.
   * @param error why the bus did not take it (logged when the backlog starts filling).
   */
  add(event: CloudEvent, error?: unknown): void {
    const identity = dedupId(event);
    if (this.identities.has(identity)) return;
    this.identities.add(identity);
    if (this.size === 0 && this.keptSinceEmpty === 0) {
      this.options.logger.warn('events kept in memory to publish again: the bus did not take them', {
        error: String(error),
      });
    }
    this.kept.push(event);
    this.keptSinceEmpty += 1;
    this.metrics.inc('eventsKept');
    this.trim();
    this.schedule();
  }

  /** Publishes what is kept, oldest first; on a refusal waits longer and tries again. */
  flush(): Promise<void> {
    this.flushing ??= this.publishKept().finally(() => {
      this.flushing = undefined;
      // Refused: try again after the (longer) delay.
      if (this.kept.length > 0) this.schedule();
    });
    return this.flushing;
  }

  /**
   * Stops retrying: tries once more to publish what is kept (a refusal ends it), then logs what
   * is lost. Resolves when done; never rejects.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // A flush in flight is that last try (one more straight after it would wait out the same
    // resends again); otherwise one now.
    if (this.flushing) await this.flushing;
    else if (this.kept.length > 0) await this.flush();
    if (this.kept.length > 0) {
      this.options.logger.error('kept events not published before stop: lost', {
        count: this.kept.length,
        types: [...new Set(this.kept.map((e) => e.type))],
        // Lifecycle events name their run as `subject`: its view says what the events would have.
        subjects: [...new Set(this.kept.flatMap((e) => (e.subject ? [e.subject] : [])))].slice(0, 100),
      });
      this.metrics.inc('eventsLost', { reason: 'stopped' }, this.kept.length);
      this.kept.length = 0;
      this.identities.clear();
    }
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delay);
    // A backlog alone does not keep a Node process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Past capacity: drops the oldest, logging the first drop of an outage. */
  private trim(): void {
    const excess = this.kept.length - this.options.capacity;
    if (excess <= 0) return;
    const oldest = this.kept.splice(0, excess);
    for (const e of oldest) this.identities.delete(dedupId(e));
    if (this.dropped === 0) {
      this.options.logger.error('event backlog full: dropping the oldest kept events', {
        capacity: this.options.capacity,
        firstDropped: { id: oldest[0]!.id, type: oldest[0]!.type, subject: oldest[0]!.subject },
      });
    }
    this.dropped += excess;
    this.metrics.inc('eventsLost', { reason: 'backlog_full' }, excess);
  }

  private async publishKept(): Promise<void> {
    let published = 0;
    let size = BATCH;
    while (this.kept.length > 0) {
      // Taken out while in flight: events kept meanwhile go behind them.
      const batch = this.kept.splice(0, size);
      this.sending = batch.length;
      try {
        await this.options.publish(batch);
      } catch (error) {
        this.sending = 0;
        if (!EventBacklog.keeps(error)) {
          if (batch.length > 1) {
            // One of them may be what the bus refuses: one at a time, so only that one is lost.
            this.kept.unshift(...batch);
            size = 1;
            continue;
          }
          // Refused: sent again it would be refused again, and hold back the ones behind it.
          this.options.logger.error('kept event refused by the bus: lost', {
            event: { id: batch[0]!.id, type: batch[0]!.type, subject: batch[0]!.subject },
            error: String(error),
          });
          this.lost += 1;
          this.metrics.inc('eventsLost', { reason: 'refused' });
          this.identities.delete(dedupId(batch[0]!));
          continue;
        }
        this.kept.unshift(...batch);
        this.trim();
        this.delay = Math.min(this.delay * 2, this.maxRetryMs);
        return;
      }
      this.sending = 0;
      published += batch.length;
      for (const e of batch) this.identities.delete(dedupId(e));
    }
    this.options.logger.info('kept events published', {
      published,
      kept: this.keptSinceEmpty,
      dropped: this.dropped,
      refused: this.lost,
    });
    this.delay = this.retryMs;
    this.dropped = 0;
    this.lost = 0;
    this.keptSinceEmpty = 0;
  }
}
