import { DEFAULT_EVENT_LOG_CAP } from '../bus-codec.js';
import { StoreKeys } from '../keys.js';
import type { BusStore, Store } from '../types.js';
import { RedisBusStore } from './bus-store.js';
import type { RedisClientAdapter } from './client.js';
import { RedisRunStore } from './run-store.js';

export interface RedisStoreOptions {
  /** Key prefix (tests use `test-<uuid>:`). */
  prefix?: string;
  /** Runs are spread over this many hash-tag shards by a stable hash of the run id. */
  shards?: number;
  /** Bound of the event log stream (XADD MAXLEN ~ cap). */
  eventLogCap?: number;
}

/**
 * The Store on Redis (TCP through ioredis, or REST through @upstash/redis): every state change is one
 * Lua script, called by EVALSHA with EVAL on NOSCRIPT.
 *
 * @example
 * const store = new RedisStore(fromIoredis(new Redis()), { prefix: 'waooaw:', shards: 4 });
 */
export class RedisStore extends RedisRunStore implements Store {
  private readonly bus: BusStore;

  constructor(
    client: RedisClientAdapter,
    { prefix = 'waooaw:', shards = 1, eventLogCap = DEFAULT_EVENT_LOG_CAP }: RedisStoreOptions = {},
  ) {
    super(client, new StoreKeys(prefix, shards));
    this.bus = new RedisBusStore(client, this.keys, eventLogCap);
  }

  /** Round trips and commands sent so far (the benchmark reports them per task). */
  get traffic(): { roundTrips: number; commands: number } {
    return { roundTrips: this.client.roundTrips, commands: this.client.commands };
  }

  appendEvents: BusStore['appendEvents'] = (events, now, options) =>
    this.bus.appendEvents(events, now, options);
  readEvents: BusStore['readEvents'] = (query) => this.bus.readEvents(query);
  forgetEvents: BusStore['forgetEvents'] = (events) => this.bus.forgetEvents(events);
  putSubscription: BusStore['putSubscription'] = (sub, options) => this.bus.putSubscription(sub, options);
  deleteSubscription: BusStore['deleteSubscription'] = (id) => this.bus.deleteSubscription(id);
  listSubscriptions: BusStore['listSubscriptions'] = () => this.bus.listSubscriptions();
  subscriptionsVersion: BusStore['subscriptionsVersion'] = () => this.bus.subscriptionsVersion();
  addDlq: BusStore['addDlq'] = (entry) => this.bus.addDlq(entry);
  listDlq: BusStore['listDlq'] = (query) => this.bus.listDlq(query);
  getDlq: BusStore['getDlq'] = (id) => this.bus.getDlq(id);
  deleteDlq: BusStore['deleteDlq'] = (id) => this.bus.deleteDlq(id);
  dlqSizes: BusStore['dlqSizes'] = () => this.bus.dlqSizes();

  close(): Promise<void> {
    return this.client.close();
  }
}
