import { PRIORITIES, PRIORITY_RANK, type Priority } from '../../store/index.js';
import type { Envelope } from '../types.js';

/** One invocation handed to a dispatcher by the `claim` script. */
export interface ClaimedItem {
  id: string;
  /** Times claimed, this one included. */
  deliveries: number;
  payload: string;
}

export interface ClaimReply {
  /** ms until the next delayed item is due or in-flight deadline passes; -1 when none. */
  waitMs: number;
  items: ClaimedItem[];
}

/** ARGV groups of the `enqueue` script: payload, meta, rank, delay, dedup id. */
export function enqueueArgs(items: Envelope[]): (string | number)[] {
  const args: (string | number)[] = [];
  for (const { invocation, options = {} } of items) {
    const rank = PRIORITY_RANK[options.priority ?? 'NORMAL'];
    const meta = {
      r: rank,
      k: options.flowKey,
      l: options.flowKey ? Math.max(1, Math.floor(options.flowLimit ?? 1)) : undefined,
      d: options.dedupId,
    };
    const delay = Math.max(0, Math.ceil(options.delayMs ?? 0));
    args.push(JSON.stringify(invocation), JSON.stringify(meta), rank, delay, options.dedupId ?? '');
  }
  return args;
}

export function parseClaimReply(reply: unknown): ClaimReply {
  const flat = reply as [number, ...(string | number)[]];
  const items: ClaimedItem[] = [];
  for (let i = 1; i + 2 < flat.length; i += 3) {
    items.push({ id: String(flat[i]), deliveries: Number(flat[i + 1]), payload: String(flat[i + 2]) });
  }
  return { waitMs: Number(flat[0]), items };
}

export interface RedisQueueDepth {
  /** Due items waiting, parked ones included. */
  queued: number;
  /** Ready (not parked) items by priority. */
  byPriority: Record<Priority, number>;
  /** Items waiting for a slot of their flow key. */
  parked: number;
  delayed: number;
  /** In flight across every dispatcher sharing the prefix. */
  inFlight: number;
  /** Items moved back to ready after their visibility deadline passed, ever. */
  redelivered: number;
}

export function parseStatsReply(reply: unknown): RedisQueueDepth {
  const [critical, high, normal, low, delayed, inFlight, parked, redelivered] = (reply as number[]).map(
    Number,
  );
  const byPriority = Object.fromEntries(
    PRIORITIES.map((p, i) => [p, [critical, high, normal, low][i] ?? 0]),
  ) as Record<Priority, number>;
  const ready = PRIORITIES.reduce((sum, p) => sum + byPriority[p], 0);
  return {
    queued: ready + (parked ?? 0),
    byPriority,
    parked: parked ?? 0,
    delayed: delayed ?? 0,
    inFlight: inFlight ?? 0,
    redelivered: redelivered ?? 0,
  };
}
