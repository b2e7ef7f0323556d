/**
 * Every Redis key qstash-local uses, under one configurable prefix. The Lua scripts receive the
 * prefix and build the per-message and per-flow keys with the same suffixes (`msg:`, `flow:`), so
 * this file and `scripts.ts` change together. One Redis only: no hash tags for Cluster.
 *
 * | key | type | holds |
 * |---|---|---|
 * | `due` | zset | id → ms when the message may be delivered |
 * | `inflight` | zset | id → visibility deadline (ms) of the attempt in progress |
 * | `msg:<id>` | hash | `json` (the message), `flowKey`, `parallelism` |
 * | `flow:<key>` | set | ids being delivered under that flow-control key |
 * | `dedup:<id>` | string | message id that took this deduplication id (expires with the window) |
 * | `dlq` | zset | dlqId → ms it was dead-lettered |
 * | `dlq:<dlqId>` | string | the DLQ entry as JSON |
 */
export interface QStashKeys {
  prefix: string;
  due: string;
  inflight: string;
  dlq: string;
  message(id: string): string;
  dedup(dedupId: string): string;
  dlqEntry(dlqId: string): string;
}

export function qstashKeys(prefix: string): QStashKeys {
  return {
    prefix,
    due: `${prefix}due`,
    inflight: `${prefix}inflight`,
    dlq: `${prefix}dlq`,
    message: (id) => `${prefix}msg:${id}`,
    dedup: (dedupId) => `${prefix}dedup:${dedupId}`,
    dlqEntry: (dlqId) => `${prefix}dlq:${dlqId}`,
  };
}
