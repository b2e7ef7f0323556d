import { DEFAULT_EVENT_LOG_CAP } from '../bus-codec.js';
import type { BusStore, Store } from '../types.js';
import { MemoryBusStore } from './bus-store.js';
import { MemoryRunStore } from './run-store.js';

export interface MemoryStoreOptions {
  /** Bound of the event log; older events drop. */
  eventLogCap?: number;
}

/**
 * The embedded Store: everything in process, every operation one synchronous block (atomic).
 * Enforces the transition tables of model.ts on every change.
 *
 * @example
 * const store = new MemoryStore({ eventLogCap: 10_000 });
 * await store.createRun({ runId: 'r1', workflow: 'wf', input: {}, meta: {}, tasks, now: Date.now(), queuedTimeoutMs: 60_000 });
 */
export class MemoryStore extends MemoryRunStore implements Store {
  private readonly bus: BusStore;

  constructor({ eventLogCap = DEFAULT_EVENT_LOG_CAP }: MemoryStoreOptions = {}) {
    super();
    this.bus = new MemoryBusStore(eventLogCap);
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

  async close(): Promise<void> {}
}
