import type { DlqEntry, DlqEntryInput, StoredCloudEvent, SubscriptionRecord } from './types.js';

/**
 * Helpers both backends use for the bus, so ids, order and filters cannot drift apart.
 */

/** Event log positions are Redis stream ids `<ms>-<n>`; compares them numerically. */
export function compareSeq(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('-').map(Number);
  const [bm = 0, bn = 0] = b.split('-').map(Number);
  return am - bm || an - bn;
}

/** DLQ ids grow with insertion, so ties on createdAt list newest first on both backends. */
export function dlqId(sequence: number): string {
  return `dlq-${String(sequence).padStart(12, '0')}`;
}

export function toDlqEntry(id: string, input: DlqEntryInput): DlqEntry {
  return { ...JSON.parse(JSON.stringify(input)), id } as DlqEntry;
}

/** Subscriptions are listed oldest first (ties by id) whatever order the backend keeps them in. */
export function sortSubscriptions(subs: SubscriptionRecord[]): SubscriptionRecord[] {
  return subs.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Default bound of the event log. */
export const DEFAULT_EVENT_LOG_CAP = 100_000;

/** What identifies an event for deduplication: CloudEvents' `source` + `id`. */
export function dedupId(event: Pick<StoredCloudEvent, 'source' | 'id'>): string {
  return `${event.source}\u0000${event.id}`;
}
