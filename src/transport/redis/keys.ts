/**
 * Every Redis key of the Redis transport, built here and nowhere else.
 *
 * All keys start with `${prefix}{transport}:`. The `{transport}` hash tag puts them in one slot,
 * so each Lua script is single-slot on Redis Cluster. A prefix holding its own `{tag}` wins
 * (Redis hashes the first `{…}`), which places a deployment's transport on a slot of its choice.
 * The Lua scripts derive per-item keys from the base with the same names (`lua/includes/keys.lua`).
 */
export interface TransportKeys {
  /** `${prefix}{transport}:`, passed to scripts that derive dedup and parked keys. */
  base: string;
  /** zset id -> priority rank * PRIORITY_SPAN + id (FIFO within a priority). */
  ready: string;
  /** zset id -> due epoch ms. */
  delayed: string;
  /** zset id -> visibility deadline epoch ms. */
  inflight: string;
  /** hash id -> invocation JSON. */
  payload: string;
  /** hash id -> `{ r: rank, k?: flowKey, l?: flowLimit, d?: dedupId }` JSON. */
  meta: string;
  /** hash id -> times claimed. */
  deliveries: string;
  /** hash flow key -> invocations of that key in flight. */
  running: string;
  /** counter: the next item id. */
  seq: string;
  /** hash: `parked`, `redelivered` counters. */
  stats: string;
  /** list of wake tokens idle dispatchers block on. */
  wake: string;
  /** string holding the id of the pending item that owns a dedup id. */
  dedup(dedupId: string): string;
  /** zset of items waiting for a slot of their flow key, scored like ready (priority, then FIFO). */
  parked(flowKey: string): string;
  /** the ids one claim took, kept for its visibility window so the same claim sent again gets them. */
  claim(token: string): string;
}

/** Ready score = rank * PRIORITY_SPAN + id; mirrors `lua/includes/readyScore.lua`. */
export const PRIORITY_SPAN = 1e13;

/**
 * @example
 * const keys = transportKeys('waooaw:');
 * keys.ready; // 'waooaw:{transport}:ready'
 */
export function transportKeys(prefix: string): TransportKeys {
  const base = `${prefix}{transport}:`;
  return {
    base,
    ready: `${base}ready`,
    delayed: `${base}delayed`,
    inflight: `${base}inflight`,
    payload: `${base}payload`,
    meta: `${base}meta`,
    deliveries: `${base}deliveries`,
    running: `${base}running`,
    seq: `${base}seq`,
    stats: `${base}stats`,
    wake: `${base}wake`,
    dedup: (dedupId) => `${base}dedup:${dedupId}`,
    parked: (flowKey) => `${base}parkedq:${flowKey}`,
    claim: (token) => `${base}claim:${token}`,
  };
}
