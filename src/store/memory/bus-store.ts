import {
  compareSeq,
  DEFAULT_EVENT_LOG_CAP,
  dedupId,
  dlqId,
  sortSubscriptions,
  toDlqEntry,
} from '../bus-codec.js';
import type {
  AppendOptions,
  BusStore,
  DlqEntry,
  DlqEntryInput,
  DlqKind,
  LoggedEvent,
  ReadEventsQuery,
  StoredCloudEvent,
  SubscriptionRecord,
} from '../types.js';

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Append replies kept for resends (memory store). */
const KEPT_REPLIES = 1_000;

/** The bus half of the in-process store: a bounded log, subscriptions and the DLQ. */
export class MemoryBusStore implements BusStore {
  /** Entries before `head` have dropped off the bounded log (compacted in bulk, not one by one). */
  private log: LoggedEvent[] = [];
  private head = 0;
  /** Dedup ids (source + id) and until when they hold; expired ones are swept as the log grows. */
  private readonly seen = new Map<string, number>();
  /**
   * Replies of the last appends by token, for a resend (the Lua twin keeps them a minute). In
   * process no reply is ever lost, so a bounded few are kept, without their events.
   */
  private readonly replies = new Map<string, { seq: string; receivedAt: number; duplicate?: true }[]>();
  private seenAtLastSweep = 0;
  private lastSeq = { ms: 0, n: -1 };
  private readonly subs = new Map<string, SubscriptionRecord>();
  private subsVersion = 0;
  private readonly dlq = new Map<string, DlqEntry>();
  private dlqSequence = 0;
  /** An entry's key -> its id. */
  private readonly dlqByKey = new Map<string, string>();

  constructor(private readonly eventLogCap = DEFAULT_EVENT_LOG_CAP) {}

  async appendEvents(
    events: StoredCloudEvent[],
    now: number,
    { dedupWindowMs = 0, dedup, token = '' }: AppendOptions = {},
  ): Promise<LoggedEvent[]> {
    const kept = token ? this.replies.get(token) : undefined;
    if (kept) return events.map((event, i) => ({ ...kept[i]!, event }));
    const out: LoggedEvent[] = [];
    for (const [i, event] of events.entries()) {
      if (dedupWindowMs > 0 && dedup?.[i] !== false) {
        const key = dedupId(event);
        const until = this.seen.get(key);
        if (until !== undefined && until > now) {
          out.push({ seq: '', receivedAt: now, event, duplicate: true });
          continue;
        }
        this.seen.set(key, now + dedupWindowMs);
      }
      const ms = Math.max(now, this.lastSeq.ms);
      this.lastSeq = { ms, n: ms === this.lastSeq.ms ? this.lastSeq.n + 1 : 0 };
      const seq = `${ms}-${this.lastSeq.n}`;
      // The log keeps its own copy; the caller keeps the event it passed in.
      this.log.push({ seq, receivedAt: now, event: copy(event) });
      out.push({ seq, receivedAt: now, event });
    }
    this.head = Math.max(this.head, this.log.length - this.eventLogCap);
    if (this.head > 1024 && this.head * 2 > this.log.length) {
      this.log = this.log.slice(this.head);
      this.head = 0;
    }
    if (token) {
      this.replies.set(
        token,
        out.map(({ seq, receivedAt, duplicate }) =>
          duplicate ? { seq, receivedAt, duplicate } : { seq, receivedAt },
        ),
      );
      if (this.replies.size > KEPT_REPLIES) this.replies.delete(this.replies.keys().next().value!);
    }
    if (this.seen.size > 2 * this.seenAtLastSweep + 1024) {
      for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
      this.seenAtLastSweep = this.seen.size;
    }
    return out;
  }

  async forgetEvents(events: StoredCloudEvent[]): Promise<void> {
    for (const event of events) this.seen.delete(dedupId(event));
  }

  async readEvents(query: ReadEventsQuery): Promise<LoggedEvent[]> {
    const from = `${query.from ?? 0}-0`;
    const to = `${query.to ?? Number.MAX_SAFE_INTEGER}-${Number.MAX_SAFE_INTEGER}`;
    const types = query.types && query.types.length > 0 ? new Set(query.types) : undefined;
    const out: LoggedEvent[] = [];
    for (let i = this.head; i < this.log.length; i++) {
      const entry = this.log[i]!;
      if (out.length >= query.limit) break;
      if (compareSeq(entry.seq, from) < 0 || compareSeq(entry.seq, to) > 0) continue;
      if (types && !types.has(entry.event.type)) continue;
      out.push(copy(entry));
    }
    return out;
  }

  async putSubscription(sub: SubscriptionRecord, { onlyIfAbsent = false } = {}): Promise<boolean> {
    if (onlyIfAbsent && this.subs.has(sub.id)) return false;
    this.subs.set(sub.id, copy(sub));
    this.subsVersion++;
    return true;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    if (!this.subs.delete(id)) return false;
    this.subsVersion++;
    return true;
  }

  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    return sortSubscriptions(copy([...this.subs.values()]));
  }

  async subscriptionsVersion(): Promise<number> {
    return this.subsVersion;
  }

  async addDlq(entry: DlqEntryInput): Promise<DlqEntry> {
    const existing = entry.key === undefined ? undefined : this.dlqByKey.get(entry.key);
    if (existing !== undefined && this.dlq.has(existing)) return copy(this.dlq.get(existing)!);
    const stored = toDlqEntry(dlqId(++this.dlqSequence), entry);
    this.dlq.set(stored.id, stored);
    if (entry.key !== undefined) this.dlqByKey.set(entry.key, stored.id);
    return copy(stored);
  }

  async listDlq(query: { limit: number; subscriptionId?: string; kind?: DlqKind }): Promise<DlqEntry[]> {
    return [...this.dlq.values()]
      .filter((e) => query.subscriptionId === undefined || e.subscriptionId === query.subscriptionId)
      .filter((e) => query.kind === undefined || e.kind === query.kind)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
      .slice(0, query.limit)
      .map(copy);
  }

  async getDlq(id: string): Promise<DlqEntry | undefined> {
    const entry = this.dlq.get(id);
    return entry && copy(entry);
  }

  async deleteDlq(id: string): Promise<boolean> {
    const key = this.dlq.get(id)?.key;
    if (key !== undefined && this.dlqByKey.get(key) === id) this.dlqByKey.delete(key);
    return this.dlq.delete(id);
  }

  async dlqSizes(): Promise<Record<string, number>> {
    const sizes: Record<string, number> = {};
    for (const entry of this.dlq.values()) {
      const key = entry.subscriptionId ?? '';
      sizes[key] = (sizes[key] ?? 0) + 1;
    }
    return sizes;
  }
}
