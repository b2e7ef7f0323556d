import { GroupCommit } from '../group-commit.js';
import type { StoreKeys } from '../keys.js';
import { scripts } from '../lua/generated/index.js';
import type { LuaScript } from '../lua/script.js';
import { FAILURE_MARKER, type Phase, PRIORITIES, type Priority, RUN_END_MARKER } from '../model.js';
import type {
  CancelInput,
  CancelResult,
  CompleteInput,
  CompleteResult,
  CreateRunInput,
  CreateRunResult,
  ExpireInput,
  ExpireResult,
  FailInput,
  FailResult,
  LeaseInput,
  LeaseResult,
  QueueStats,
  RunStore,
  RunView,
} from '../types.js';
import { byTopoIndex, toJson, validateCreateRun } from '../validate.js';
import type { RedisArg, RedisClientAdapter } from './client.js';
import { decodeReply, toCount } from './reply.js';

/** Queued tasks are counted by priority only (one counter less to keep per move); `queued` is their sum. */
const STAT_FIELDS = ['pending', 'running', 'completed', 'failed', ...PRIORITIES.map((p) => `queued:${p}`)];

/**
 * The run half of the Redis store: each state change is one Lua script (src/store/lua/*.lua),
 * every key of it under the run's shard hash tag.
 */
export class RedisRunStore implements RunStore {
  /** The shard the next sweep starts with: each gets its turn to be first. */
  private sweepFrom = 0;
  /** Removals of marks (run ends announced, failures recorded), by shard deadline index. */
  private readonly clearing = new Map<string, GroupCommit<string, void>>();

  constructor(
    protected readonly client: RedisClientAdapter,
    protected readonly keys: StoreKeys,
  ) {}

  async createRun(input: CreateRunInput): Promise<CreateRunResult> {
    validateCreateRun(input);
    const specs = [...input.tasks].sort(byTopoIndex).map((t) => ({
      name: t.name,
      dependsOn: t.dependsOn,
      priority: t.priority,
      maxAttempts: t.maxAttempts,
      compensationMaxAttempts: t.compensationMaxAttempts,
      compensable: t.compensable,
      topoIndex: t.topoIndex,
    }));
    return this.runScript(scripts.createRun, input.runId, [
      input.workflow,
      toJson(input.input),
      JSON.stringify(input.meta ?? {}),
      input.now,
      input.queuedTimeoutMs,
      JSON.stringify(specs),
      input.retentionMs ?? 0,
      input.token ?? '',
      input.endGraceMs ?? '',
    ]);
  }

  leaseAttempt(input: LeaseInput): Promise<LeaseResult> {
    const { task, attempt, phase, workerId, now, leaseMs, token = '' } = input;
    return this.runScript(scripts.leaseAttempt, input.runId, [
      task,
      attempt,
      phase,
      workerId,
      now,
      leaseMs,
      token,
    ]);
  }

  completeAttempt(input: CompleteInput): Promise<CompleteResult> {
    const { task, attempt, phase, now, token = '' } = input;
    return this.runScript(scripts.completeAttempt, input.runId, [
      task,
      attempt,
      phase,
      toJson(input.result),
      now,
      token,
    ]);
  }

  failAttempt(input: FailInput): Promise<FailResult> {
    const { task, attempt, phase, error, now, retryAt, token = '' } = input;
    return this.runScript(scripts.failAttempt, input.runId, [
      task,
      attempt,
      phase,
      error,
      now,
      retryAt ?? '',
      token,
    ]);
  }

  /**
   * One script per shard, until `limit` entries were handled. Sweeps start from the next shard
   * each time, so a shard with more than `limit` entries due does not starve the others.
   */
  async expireLeases(input: ExpireInput): Promise<ExpireResult> {
    const total: Required<ExpireResult> = {
      requeued: [],
      expired: [],
      ready: [],
      unannounced: [],
      unrecorded: [],
    };
    let handled = 0;
    const shards = this.keys.allShards();
    const from = this.sweepFrom++ % shards.length;
    for (const shard of [...shards.slice(from), ...shards.slice(0, from)]) {
      if (handled >= input.limit) break;
      const reply = await this.client.evalScript(
        scripts.expireLeases,
        [this.keys.shardDeadlines(shard), this.keys.shardStats(shard)],
        [
          this.keys.runKeyBase(shard),
          input.now,
          input.limit - handled,
          input.queuedTimeoutMs,
          input.token ?? '',
        ],
      );
      const part = decodeReply<ExpireResult>(reply, scripts.expireLeases.name);
      const unannounced = part.unannounced ?? [];
      const unrecorded = part.unrecorded ?? [];
      handled += part.requeued.length + part.expired.length + unannounced.length + unrecorded.length;
      total.requeued.push(...part.requeued);
      total.expired.push(...part.expired);
      total.ready.push(...part.ready);
      total.unannounced.push(...unannounced);
      total.unrecorded.push(...unrecorded);
    }
    return total;
  }

  cancelRun(input: CancelInput): Promise<CancelResult> {
    return this.runScript(scripts.cancelRun, input.runId, [input.now, input.reason ?? '', input.token ?? '']);
  }

  async getRun(runId: string): Promise<RunView | undefined> {
    const keys = this.keys.run(runId);
    const reply = await this.client.evalScript(
      scripts.getRun,
      [keys.meta, keys.tasks, keys.results],
      [runId],
    );
    return decodeReply<RunView | null>(reply, scripts.getRun.name) ?? undefined;
  }

  async runAnnounced(runId: string): Promise<void> {
    await this.clearMark(runId, RUN_END_MARKER);
  }

  async failureRecorded(runId: string, task: string, phase: Phase): Promise<void> {
    await this.clearMark(runId, `${FAILURE_MARKER}${phase}:${task}`);
  }

  /** Group-committed per shard: marks cleared while a removal is in flight share the next one. */
  private async clearMark(runId: string, mark: string): Promise<void> {
    const deadlines = this.keys.run(runId).deadlines;
    let commit = this.clearing.get(deadlines);
    if (!commit) {
      commit = new GroupCommit<string, void>(async (members) => {
        await this.client.pipeline([['ZREM', deadlines, ...members]]);
        return members.map(() => undefined);
      });
      this.clearing.set(deadlines, commit);
    }
    await commit.submit([`${runId}|${mark}`]);
  }

  /** One pipelined HMGET per shard, summed. */
  async queueStats(): Promise<QueueStats> {
    const shards = this.keys.allShards();
    const replies = await this.client.pipeline(
      shards.map((s) => ['HMGET', this.keys.shardStats(s), ...STAT_FIELDS]),
    );
    const sums = STAT_FIELDS.map((_, i) =>
      replies.reduce<number>((sum, r) => sum + toCount((r as unknown[])[i]), 0),
    );
    const [pending = 0, running = 0, completed = 0, failed = 0, ...byPriority] = sums;
    const queued = byPriority.reduce((sum, n) => sum + n, 0);
    const queuedByPriority = Object.fromEntries(PRIORITIES.map((p, i) => [p, byPriority[i] ?? 0])) as Record<
      Priority,
      number
    >;
    return { pending, queued, running, completed, failed, queuedByPriority };
  }

  private async runScript<T>(script: LuaScript, runId: string, args: RedisArg[]): Promise<T> {
    const keys = this.keys.run(runId);
    const reply = await this.client.evalScript(
      script,
      [keys.meta, keys.tasks, keys.results, keys.deadlines, keys.stats],
      [runId, ...args],
    );
    return decodeReply<T>(reply, script.name);
  }
}
