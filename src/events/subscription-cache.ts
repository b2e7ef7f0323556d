import type { BusStore, SubscriptionRecord } from '../store/index.js';
import { matcherFor, type TopicMatcher } from './topic-pattern.js';

export interface CompiledSubscription {
  record: SubscriptionRecord;
  matches: TopicMatcher;
}

/**
 * What the cache knows, as plain data: several short-lived buses (a Worker builds one per request)
 * can share one snapshot, so only the first request of a TTL window reads the store. No promise is
 * ever shared: each cache loads on its own.
 */
export interface SubscriptionSnapshot {
  subs: CompiledSubscription[];
  byId: Map<string, CompiledSubscription>;
  version: number;
  checkedAt: number;
}

export function emptySubscriptionSnapshot(): SubscriptionSnapshot {
  return { subs: [], byId: new Map(), version: -1, checkedAt: Number.NEGATIVE_INFINITY };
}

/**
 * The subscription list, cached per process. Every replica reloads it when the store's version
 * counter moves, checked at most once per `ttlMs`, so fan-out costs no read per event.
 */
export class SubscriptionCache {
  private loading: Promise<number> | undefined;
  /** Moves on every invalidation: a load that started before one does not count as fresh. */
  private generation = 0;

  constructor(
    private readonly store: BusStore,
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly snapshot: SubscriptionSnapshot = emptySubscriptionSnapshot(),
  ) {}

  async all(): Promise<CompiledSubscription[]> {
    await this.refresh();
    return this.snapshot.subs;
  }

  /** The list when it is fresh (no store check due), else undefined: the hot path skips an await. */
  current(): CompiledSubscription[] | undefined {
    return this.clock() - this.snapshot.checkedAt < this.ttlMs ? this.snapshot.subs : undefined;
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    if (!this.current()) await this.refresh();
    const found = this.snapshot.byId.get(id);
    if (found) return found.record;
    // A subscription created on another replica a moment ago: look once more, past the TTL.
    this.invalidate();
    await this.refresh();
    return this.snapshot.byId.get(id)?.record;
  }

  /** Forces the next read to check the store (after a local change). */
  invalidate(): void {
    this.generation += 1;
    this.snapshot.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private async refresh(): Promise<void> {
    if (this.clock() - this.snapshot.checkedAt < this.ttlMs) return;
    // Again when the load waited on began before an invalidation (it may have read the list from
    // before the change): its result is not stamped fresh.
    for (;;) {
      this.loading ??= this.load(this.generation).finally(() => {
        this.loading = undefined;
      });
      if ((await this.loading) === this.generation) return;
    }
  }

  /** Loads the list if its version moved; resolves to the generation it began in. */
  private async load(generation: number): Promise<number> {
    const version = await this.store.subscriptionsVersion();
    const snapshot = this.snapshot;
    if (version !== snapshot.version) {
      const records = await this.store.listSubscriptions();
      snapshot.subs = records.map((record) => ({ record, matches: matcherFor(record.pattern) }));
      snapshot.byId = new Map(snapshot.subs.map((s) => [s.record.id, s]));
      snapshot.version = version;
    }
    if (generation === this.generation) snapshot.checkedAt = this.clock();
    return generation;
  }
}
