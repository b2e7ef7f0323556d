import type { BusStore, SubscriptionRecord } from '../store/index.js';
import { matcherFor, type TopicMatcher } from './topic-pattern.js';

export interface CompiledSubscription {
  record: SubscriptionRecord;
  matches: TopicMatcher;
}

/**
 * The subscription list, cached per process. Every replica reloads it when the store's version
 * counter moves, checked at most once per `ttlMs`, so fan-out costs no read per event.
 */
export class SubscriptionCache {
  private subs: CompiledSubscription[] = [];
  private byId = new Map<string, CompiledSubscription>();
  private version = -1;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: BusStore,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  async all(): Promise<CompiledSubscription[]> {
    await this.refresh();
    return this.subs;
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    await this.refresh();
    const found = this.byId.get(id);
    if (found) return found.record;
    // A subscription created on another replica a moment ago: look once more, past the TTL.
    this.invalidate();
    await this.refresh();
    return this.byId.get(id)?.record;
  }

  /** Forces the next read to check the store (after a local change). */
  invalidate(): void {
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private async refresh(): Promise<void> {
    if (this.clock() - this.checkedAt < this.ttlMs) return;
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }

  private async load(): Promise<void> {
    const version = await this.store.subscriptionsVersion();
    this.checkedAt = this.clock();
    if (version === this.version) return;
    const records = await this.store.listSubscriptions();
    this.subs = records.map((record) => ({ record, matches: matcherFor(record.pattern) }));
    this.byId = new Map(this.subs.map((s) => [s.record.id, s]));
    this.version = version;
  }
}
