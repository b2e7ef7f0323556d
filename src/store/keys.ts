/**
 * Every Redis key of waooaw is built here and nowhere else.
 *
 * Layout: `${prefix}{${tag}}:...`. A run and the indexes of its shard (deadline zset, stats hash)
 * share the hash tag `{runs:<shard>}`, so every run script touches one Redis Cluster slot. The bus
 * (event log, subscriptions, DLQ) shares the tag `{bus}`.
 *
 * Scripts that must reach a run they only learn about while running (the lease sweeper reads
 * `runId|task` members from the deadline zset) get {@link StoreKeys.runKeyBase} and append the
 * suffixes below; `includes/keys.lua` mirrors {@link RUN_KEY_SUFFIXES}.
 */

/** Suffixes appended to `runKeyBase(shard) + runId`; mirrored by `lua/includes/keys.lua`. */
export const RUN_KEY_SUFFIXES = { meta: '', tasks: ':tasks', results: ':results' } as const;

export interface RunKeys {
  /** Hash: workflow, input, meta, status, counters. */
  meta: string;
  /** Hash with one field per `<task>:<field>`. */
  tasks: string;
  /** Hash: task name -> JSON result. */
  results: string;
  /** Zset of the run's shard: `runId|task` -> lease or queued deadline. */
  deadlines: string;
  /** Hash of the run's shard: task counts by state and queued counts by priority. */
  stats: string;
}

export interface BusKeys {
  events: string;
  subscriptions: string;
  subscriptionsVersion: string;
  dlq: string;
  dlqByTime: string;
  dlqSizes: string;
  /** Counter behind DLQ ids. */
  dlqSequence: string;
  /** Hash: an entry's `key` -> its id (a failure reported twice is one entry). */
  dlqKeys: string;
  /** Prefix of the per-subscription DLQ index zsets; scripts append the subscription id. */
  dlqBySubscriptionBase: string;
  /** Prefix of the dedup markers of published events (source + id). */
  seenEventBase: string;
}

/** FNV-1a, 32 bits: stable across runtimes and releases (a run must never change shard). */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * @example
 * const keys = new StoreKeys('waooaw:', 4);
 * keys.run('order-42').meta; // 'waooaw:{runs:3}:run:order-42' (shard depends on the hash)
 */
function busKeysUnder(base: string): BusKeys {
  return {
    events: `${base}events`,
    subscriptions: `${base}subs`,
    subscriptionsVersion: `${base}subs:version`,
    dlq: `${base}dlq`,
    dlqByTime: `${base}dlq:by-time`,
    dlqSizes: `${base}dlq:sizes`,
    dlqSequence: `${base}dlq:seq`,
    dlqKeys: `${base}dlq:keys`,
    dlqBySubscriptionBase: `${base}dlq:by-sub:`,
    seenEventBase: `${base}seen:`,
  };
}

export class StoreKeys {
  private busKeys: BusKeys | undefined;

  constructor(
    readonly prefix = 'waooaw:',
    readonly shards = 1,
  ) {
    if (!Number.isInteger(shards) || shards < 1)
      throw new RangeError(`shards must be an integer >= 1, got ${shards}`);
  }

  shardOf(runId: string): number {
    return this.shards === 1 ? 0 : stableHash(runId) % this.shards;
  }

  /** All shard numbers, for operations that sweep every shard. */
  allShards(): number[] {
    return Array.from({ length: this.shards }, (_, i) => i);
  }

  shardDeadlines(shard: number): string {
    return `${this.shardPrefix(shard)}deadlines`;
  }

  shardStats(shard: number): string {
    return `${this.shardPrefix(shard)}stats`;
  }

  /** `runKeyBase(shard) + runId` is the run's meta key; see {@link RUN_KEY_SUFFIXES}. */
  runKeyBase(shard: number): string {
    return `${this.shardPrefix(shard)}run:`;
  }

  run(runId: string): RunKeys {
    const shard = this.shardOf(runId);
    const base = this.runKeyBase(shard) + runId;
    return {
      meta: base + RUN_KEY_SUFFIXES.meta,
      tasks: base + RUN_KEY_SUFFIXES.tasks,
      results: base + RUN_KEY_SUFFIXES.results,
      deadlines: this.shardDeadlines(shard),
      stats: this.shardStats(shard),
    };
  }

  /** The bus keys, built once: every append and delivery asks for them. */
  bus(): BusKeys {
    this.busKeys ??= busKeysUnder(`${this.prefix}{bus}:`);
    return this.busKeys;
  }

  dlqBySubscription(subscriptionId: string): string {
    return this.bus().dlqBySubscriptionBase + subscriptionId;
  }

  /** SCAN pattern matching every key of this store (tests delete their namespace with it). */
  pattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  }

  private shardPrefix(shard: number): string {
    return `${this.prefix}{runs:${shard}}:`;
  }
}
