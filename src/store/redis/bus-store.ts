import { DEFAULT_EVENT_LOG_CAP, dedupId, sortSubscriptions, toDlqEntry } from '../bus-codec.js';
import type { StoreKeys } from '../keys.js';
import { scripts } from '../lua/generated/index.js';
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
import type { RedisClientAdapter } from './client.js';
import { decodeReply, toCount } from './reply.js';

/** The bus half of the Redis store: a capped stream, a subscriptions hash, the DLQ hash and its indexes. */
export class RedisBusStore implements BusStore {
  constructor(
    private readonly client: RedisClientAdapter,
    private readonly keys: StoreKeys,
    private readonly eventLogCap = DEFAULT_EVENT_LOG_CAP,
  ) {}

  async appendEvents(
    events: StoredCloudEvent[],
    now: number,
    { dedupWindowMs = 0, dedup, token = '' }: AppendOptions = {},
  ): Promise<LoggedEvent[]> {
    if (events.length === 0) return [];
    const args = events.flatMap((e, i) => [
      e.type,
      dedup?.[i] === false ? '' : dedupId(e),
      JSON.stringify(e),
    ]);
    const bus = this.keys.bus();
    const reply = await this.client.evalScript(
      scripts.appendEvents,
      [bus.events],
      [now, this.eventLogCap, dedupWindowMs, bus.seenEventBase, token, ...args],
    );
    const ids = decodeReply<string[]>(reply, scripts.appendEvents.name);
    return events.map((event, i) =>
      ids[i]
        ? { seq: ids[i]!, receivedAt: now, event }
        : { seq: '', receivedAt: now, event, duplicate: true },
    );
  }

  async forgetEvents(events: StoredCloudEvent[]): Promise<void> {
    if (events.length === 0) return;
    const base = this.keys.bus().seenEventBase;
    // One slot: every seen key carries the bus hash tag.
    await this.client.pipeline([['DEL', ...events.map((e) => `${base}${dedupId(e)}`)]]);
  }

  async readEvents(query: ReadEventsQuery): Promise<LoggedEvent[]> {
    const reply = await this.client.evalScript(
      scripts.readEvents,
      [this.keys.bus().events],
      [query.from ?? '-', query.to ?? '+', query.limit, JSON.stringify(query.types ?? [])],
    );
    return decodeReply<LoggedEvent[]>(reply, scripts.readEvents.name);
  }

  async putSubscription(sub: SubscriptionRecord, { onlyIfAbsent = false } = {}): Promise<boolean> {
    const bus = this.keys.bus();
    const reply = await this.client.evalScript(
      scripts.putSubscription,
      [bus.subscriptions, bus.subscriptionsVersion],
      [sub.id, JSON.stringify(sub), onlyIfAbsent ? '1' : '0'],
    );
    return toCount(reply) === 1;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    const bus = this.keys.bus();
    const reply = await this.client.evalScript(
      scripts.deleteSubscription,
      [bus.subscriptions, bus.subscriptionsVersion],
      [id],
    );
    return toCount(reply) === 1;
  }

  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    const reply = await this.client.evalScript(
      scripts.listSubscriptions,
      [this.keys.bus().subscriptions],
      [],
    );
    return sortSubscriptions(decodeReply<SubscriptionRecord[]>(reply, scripts.listSubscriptions.name));
  }

  async subscriptionsVersion(): Promise<number> {
    const [version] = await this.client.pipeline([['GET', this.keys.bus().subscriptionsVersion]]);
    return toCount(version);
  }

  async addDlq(entry: DlqEntryInput): Promise<DlqEntry> {
    const bus = this.keys.bus();
    const reply = await this.client.evalScript(
      scripts.addDlq,
      [bus.dlq, bus.dlqByTime, bus.dlqSizes, bus.dlqSequence, bus.dlqKeys],
      [
        JSON.stringify(entry),
        entry.createdAt,
        entry.subscriptionId ?? '',
        bus.dlqBySubscriptionBase,
        entry.key ?? '',
      ],
    );
    const [id, existing] = reply as [string, unknown];
    const stored = existing === undefined ? entry : decodeReply<DlqEntryInput>(existing, scripts.addDlq.name);
    return toDlqEntry(String(id), stored);
  }

  async listDlq(query: { limit: number; subscriptionId?: string; kind?: DlqKind }): Promise<DlqEntry[]> {
    const bus = this.keys.bus();
    const index =
      query.subscriptionId === undefined ? bus.dlqByTime : this.keys.dlqBySubscription(query.subscriptionId);
    const reply = await this.client.evalScript(
      scripts.listDlq,
      [index, bus.dlq],
      [query.limit, query.kind ?? ''],
    );
    const rows = decodeReply<{ id: string; entry: DlqEntryInput }[]>(reply, scripts.listDlq.name);
    return rows.map((row) => toDlqEntry(row.id, row.entry));
  }

  async getDlq(id: string): Promise<DlqEntry | undefined> {
    const [json] = await this.client.pipeline([['HGET', this.keys.bus().dlq, id]]);
    if (json === null || json === undefined) return undefined;
    return toDlqEntry(id, decodeReply<DlqEntryInput>(json, 'getDlq'));
  }

  async deleteDlq(id: string): Promise<boolean> {
    const bus = this.keys.bus();
    const reply = await this.client.evalScript(
      scripts.deleteDlq,
      [bus.dlq, bus.dlqByTime, bus.dlqSizes, bus.dlqKeys],
      [id, bus.dlqBySubscriptionBase],
    );
    return toCount(reply) === 1;
  }

  async dlqSizes(): Promise<Record<string, number>> {
    const reply = await this.client.evalScript(scripts.dlqSizes, [this.keys.bus().dlqSizes], []);
    const sizes = decodeReply<Record<string, number | string>>(reply, scripts.dlqSizes.name);
    return Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, toCount(v)]));
  }
}
