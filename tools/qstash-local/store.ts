import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { QStashKeys } from './keys.js';
import type { DlqEntry, StoredMessage } from './message.js';
import { CANCEL, CLAIM, ENQUEUE, RECLAIM, SETTLE } from './scripts.js';

/** How an attempt ended, as far as the store cares. */
export type Settlement =
  | { kind: 'done' }
  | { kind: 'retry'; message: StoredMessage; dueAt: number }
  | { kind: 'dlq'; entry: DlqEntry };

/**
 * qstash-local's state in Redis. Every change of a message's place (due, in flight, gone, DLQ)
 * is one Lua script, so two server processes on one prefix cannot lose or double-claim a message.
 */
export class QStashStore {
  constructor(
    private readonly redis: Redis,
    readonly keys: QStashKeys,
  ) {}

  /** Store and schedule a message; a repeated dedup id within the window returns the first id. */
  async enqueue(
    message: StoredMessage,
    dedup?: { id: string; windowMs: number },
  ): Promise<{ messageId: string; deduplicated: boolean }> {
    const { keys } = this;
    const [created, messageId] = (await this.script(
      ENQUEUE,
      [keys.message(message.messageId), keys.due, keys.dedup(dedup?.id ?? message.messageId)],
      [
        message.messageId,
        JSON.stringify(message),
        message.flowControlKey ?? '',
        message.parallelism ?? 0,
        message.notBefore,
        dedup ? dedup.windowMs : 0,
      ],
    )) as [number, string];
    return { messageId, deduplicated: created === 0 };
  }

  /** Take up to `count` due messages into flight until `deadline` (ms). */
  async claim(now: number, deadline: number, count: number): Promise<StoredMessage[]> {
    const flat = (await this.script(
      CLAIM,
      [this.keys.due, this.keys.inflight],
      [now, deadline, count, this.keys.prefix, 500],
    )) as string[];
    const claimed: StoredMessage[] = [];
    for (let i = 1; i < flat.length; i += 2) claimed.push(JSON.parse(flat[i] as string) as StoredMessage);
    return claimed;
  }

  /** Put messages whose deliverer missed its visibility deadline back in the due set. */
  async reclaim(now: number): Promise<number> {
    return (await this.script(
      RECLAIM,
      [this.keys.due, this.keys.inflight],
      [now, this.keys.prefix],
    )) as number;
  }

  /** Push the visibility deadline of attempts still in progress. */
  async extend(ids: string[], deadline: number): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.zadd(this.keys.inflight, 'XX', ...ids.flatMap((id) => [deadline, id]));
  }

  /** Finish an attempt. False when the message was cancelled (or reclaimed) meanwhile. */
  async settle(id: string, outcome: Settlement, now = Date.now()): Promise<boolean> {
    const { keys } = this;
    const args = [id, keys.prefix, outcome.kind, 0, '', '', '', now] as (string | number)[];
    if (outcome.kind === 'retry') {
      args[3] = outcome.dueAt;
      args[4] = JSON.stringify(outcome.message);
    }
    if (outcome.kind === 'dlq') {
      args[5] = outcome.entry.dlqId;
      args[6] = JSON.stringify(outcome.entry);
    }
    return (await this.script(SETTLE, [keys.due, keys.inflight, keys.dlq], args)) === 1;
  }

  async cancel(id: string): Promise<boolean> {
    return (await this.script(CANCEL, [this.keys.due, this.keys.inflight], [id, this.keys.prefix])) === 1;
  }

  async getMessage(id: string): Promise<StoredMessage | undefined> {
    const json = await this.redis.hget(this.keys.message(id), 'json');
    return json ? (JSON.parse(json) as StoredMessage) : undefined;
  }

  /** All DLQ entries, oldest first. A development DLQ stays small enough to read whole. */
  async listDlq(): Promise<DlqEntry[]> {
    const ids = await this.redis.zrange(this.keys.dlq, '0', '-1');
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(ids.map((id) => this.keys.dlqEntry(id)));
    return jsons.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as DlqEntry);
  }

  async getDlq(dlqId: string): Promise<DlqEntry | undefined> {
    const json = await this.redis.get(this.keys.dlqEntry(dlqId));
    return json ? (JSON.parse(json) as DlqEntry) : undefined;
  }

  async deleteDlq(dlqIds: string[]): Promise<number> {
    if (dlqIds.length === 0) return 0;
    const [[, removed] = []] = (await this.redis
      .multi()
      .zrem(this.keys.dlq, ...dlqIds)
      .del(...dlqIds.map((id) => this.keys.dlqEntry(id)))
      .exec()) ?? [[]];
    return Number(removed ?? 0);
  }

  /** EVALSHA, falling back to EVAL (which also caches the script) when Redis does not know it. */
  private async script(source: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const sha = sha1(source);
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.redis.eval(source, keys.length, ...keys, ...args);
    }
  }
}

const shas = new Map<string, string>();
function sha1(source: string): string {
  let sha = shas.get(source);
  if (!sha) {
    sha = createHash('sha1').update(source).digest('hex');
    shas.set(source, sha);
  }
  return sha;
}
