import type { Phase, Priority, RunState, TaskState } from './model.js';

/**
 * The Store port: domain-level atomic operations, not a key/value wrapper.
 *
 * Every method is one atomic state change (one Lua script on Redis, one synchronous block in memory)
 * and is idempotent: replaying a call for the same (run, task, attempt) changes nothing and says so.
 * Times are epoch milliseconds passed in by the caller (`now`), so tests can drive a fake clock.
 */
export interface Store extends RunStore, BusStore {
  /** Releases connections the store opened itself. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Runs and tasks
// ---------------------------------------------------------------------------------------------

/** The persisted shape of one task of a run: what the atomic scripts need, no code. */
export interface TaskSpec {
  name: string;
  dependsOn: string[];
  priority: Priority;
  /** Total attempts allowed, >= 1 (first try included). */
  maxAttempts: number;
  /** Attempts allowed for the compensation, >= 1. */
  compensationMaxAttempts: number;
  /** Whether the task has a saga compensation. */
  compensable: boolean;
  /** Position in a topological order of the workflow; compensation runs in descending order. */
  topoIndex: number;
}

/** Context carried by a run from the event that started it (tracing and correlation). */
export type RunMeta = Record<string, string>;

export interface CreateRunInput {
  /** Deterministic for idempotent triggers: the same id never creates a second run. */
  runId: string;
  workflow: string;
  input: unknown;
  tasks: TaskSpec[];
  meta: RunMeta;
  now: number;
  /**
   * How long a queued task may wait to be leased before the sweeper re-enqueues it
   * (its invocation may have been lost between the state change and the enqueue).
   */
  queuedTimeoutMs: number;
  /**
   * How long the run is kept once it ended (completed, failed, compensated or cancelled); then it
   * is deleted (Redis: a TTL on its keys). Absent or 0: kept until deleted by hand.
   */
  retentionMs?: number;
  /**
   * How long the process that ends the run has to report its end event published (`runAnnounced`)
   * before the sweeper returns it as unannounced. Default RUN_END_GRACE_MS (30 s).
   */
  endGraceMs?: number;
  /**
   * Unique per call. Sent again with the same token (its reply was lost), the call answers
   * `created: true` again, with the tasks still waiting for their first attempt.
   */
  token?: string;
}

/** A task attempt that is ready to be enqueued on the transport. */
export interface ReadyTask {
  runId: string;
  task: string;
  attempt: number;
  phase: Phase;
  priority: Priority;
  /** Epoch ms before which it must not run (retry backoff). Absent = now. */
  notBefore?: number;
}

export interface CreateRunResult {
  /** False when a run with this id already existed: nothing was written. */
  created: boolean;
  /** Root tasks moved to `queued` (empty when not created). */
  ready: ReadyTask[];
  status: RunState;
}

export interface LeaseInput {
  runId: string;
  task: string;
  attempt: number;
  phase: Phase;
  workerId: string;
  now: number;
  /** Lease length; the sweeper treats the attempt as crashed after now + leaseMs. */
  leaseMs: number;
  /**
   * Unique per lease request, kept on the task. Asked again with the same token (its reply was
   * lost: ioredis sends unanswered commands again after reconnecting), the lease answers as the
   * first time instead of `busy`.
   */
  token?: string;
}

export type LeaseRefusal =
  /** No such run or task. */
  | 'not_found'
  /** The task is not in the expected state for this attempt (already done, retried, skipped...). */
  | 'stale'
  /** The same attempt is running under a live lease: a duplicate delivery. */
  | 'busy'
  /** The run was cancelled or already ended. */
  | 'run_ended';

export type LeaseResult =
  | {
      ok: true;
      workflow: string;
      input: unknown;
      /** Results of the task's direct dependencies, by task name. For `compensate`: the task's own result. */
      deps: Record<string, unknown>;
      /** The task's own result, present for the `compensate` phase. */
      result?: unknown;
      meta: RunMeta;
      attempt: number;
      /** The run's creation time, for end-to-end latency. */
      runCreatedAt: number;
    }
  | {
      ok: false;
      reason: LeaseRefusal;
      /**
       * With `stale` and `run_ended`: the task's state and its attempt of the asked phase (the
       * compensation attempt for `compensate`), so a caller can tell an attempt that ended from
       * one that never will run without reading the run.
       */
      state?: TaskState;
      attempt?: number;
    };

export interface CompleteInput {
  runId: string;
  task: string;
  attempt: number;
  phase: Phase;
  /** JSON-serialisable result. */
  result: unknown;
  now: number;
  /**
   * The token of the lease this attempt ran under (`LeaseInput.token`). Sent again with it after
   * its reply was lost (a dropped connection), the change is not made twice: the call answers with
   * its effects again (what it released, the run's outcome if it changed the run) instead of
   * `stale`. Enqueueing those again is harmless.
   */
  token?: string;
}

/** How a run ended (or that it moved to compensating), reported by the change that ended it. */
export interface RunOutcome {
  status: RunState;
  workflow: string;
  durationMs: number;
  meta: RunMeta;
  /** All task results, when completed. */
  results?: Record<string, unknown>;
  /** The failure that ended or compensated the run. */
  error?: string;
  failedTask?: string;
}

export type TransitionRefusal = 'not_found' | 'stale' | 'run_ended';

export type CompleteResult =
  | {
      ok: true;
      /** Dependents released by this completion (or the next compensation step). */
      ready: ReadyTask[];
      /** Present when this change ended the run or started its compensation. */
      run?: RunOutcome;
    }
  | { ok: false; reason: TransitionRefusal };

export interface FailInput {
  runId: string;
  task: string;
  attempt: number;
  phase: Phase;
  error: string;
  now: number;
  /** Set to schedule a retry (attempt + 1) at this time; absent means attempts are spent. */
  retryAt?: number;
  /**
   * The token of the lease this attempt ran under (`LeaseInput.token`). Sent again with it after
   * its reply was lost (a dropped connection), the change is not made twice: the call answers with
   * its effects again (what it released, the run's outcome if it changed the run) instead of
   * `stale`. Enqueueing those again is harmless.
   */
  token?: string;
}

export type FailResult =
  | {
      ok: true;
      /** True when the task (or compensation) will run again. */
      willRetry: boolean;
      /** The retry (when willRetry), or the first compensation step (when the run starts compensating). */
      ready: ReadyTask[];
      /** Tasks skipped because this failure was final. */
      skipped: string[];
      run?: RunOutcome;
    }
  | { ok: false; reason: TransitionRefusal };

export interface ExpireInput {
  now: number;
  /** Most entries handled in one call. */
  limit: number;
  queuedTimeoutMs: number;
  /** Unique per call: sent again with it (its reply was lost), the sweep answers as the first time. */
  token?: string;
}

export interface ExpiredAttempt {
  runId: string;
  task: string;
  attempt: number;
  phase: Phase;
  /** The attempt that follows (willRetry) or nothing. */
  willRetry: boolean;
  skipped: string[];
  run?: RunOutcome;
}

export interface ExpireResult {
  /** Queued tasks whose invocation never arrived, re-enqueued with the same attempt. */
  requeued: ReadyTask[];
  /** Running attempts whose lease expired: counted as a failed attempt ("lease expired"). */
  expired: ExpiredAttempt[];
  /** Everything that must now be enqueued (retries and compensation steps from `expired`). */
  ready: ReadyTask[];
  /**
   * Runs whose end is still owed to the bus past the grace period (the process that ended them
   * stopped before publishing it): announce them, then `runAnnounced`. Absent from stores of
   * earlier releases.
   */
  unannounced?: UnannouncedRun[];
  /**
   * Final failures whose DLQ entry is still owed past the grace period (the process that recorded
   * them stopped before writing it): record them, then `failureRecorded`. Absent from stores of
   * earlier releases.
   */
  unrecorded?: UnrecordedFailure[];
}

/** A final failure (of a task or a compensation step) the sweeper found without its DLQ entry. */
export interface UnrecordedFailure {
  runId: string;
  workflow: string;
  meta: RunMeta;
  task: string;
  phase: Phase;
  attempt: number;
  error: string;
  workerId: string;
  endedAt: number;
}

/** A run's end the sweeper found unannounced, with the outcome as it was when the run ended. */
export interface UnannouncedRun {
  runId: string;
  endedAt: number;
  run: RunOutcome;
}

export interface CancelInput {
  runId: string;
  now: number;
  reason?: string;
  token?: string;
}

export interface CancelResult {
  ok: boolean;
  /** `compensating`: a saga in progress is not interrupted (the run table has no compensating -> cancelled). */
  reason?: 'not_found' | 'run_ended' | 'compensating';
  cancelled: string[];
  run?: RunOutcome;
}

export interface TaskView {
  name: string;
  state: TaskState;
  attempt: number;
  priority: Priority;
  dependsOn: string[];
  result?: unknown;
  error?: string;
  startedAt?: number;
  endedAt?: number;
  workerId?: string;
  /** A retry waiting out its backoff: the epoch ms before which it will not start. */
  nextAttemptAt?: number;
  /** Once the task is being (or was) compensated: its compensation attempt, and whether it is leased. */
  compensation?: { attempt: number; leased: boolean };
}

export interface RunView {
  runId: string;
  workflow: string;
  status: RunState;
  input: unknown;
  meta: RunMeta;
  createdAt: number;
  endedAt?: number;
  error?: string;
  tasks: TaskView[];
}

/** Cluster-wide task counts, kept by the state changes themselves. */
export interface QueueStats {
  pending: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  /** Queued tasks by priority. */
  queuedByPriority: Record<Priority, number>;
}

export interface RunStore {
  createRun(input: CreateRunInput): Promise<CreateRunResult>;
  leaseAttempt(input: LeaseInput): Promise<LeaseResult>;
  completeAttempt(input: CompleteInput): Promise<CompleteResult>;
  failAttempt(input: FailInput): Promise<FailResult>;
  expireLeases(input: ExpireInput): Promise<ExpireResult>;
  /**
   * `token`: unique per call; sent again with it (its reply was lost), the cancellation answers as
   * the first time instead of `run_ended`.
   */
  cancelRun(input: CancelInput): Promise<CancelResult>;
  getRun(runId: string): Promise<RunView | undefined>;
  /** The run's end event is published: the sweeper stops announcing it (idempotent). */
  runAnnounced(runId: string): Promise<void>;
  /** A final failure's DLQ entry is written: the sweeper stops announcing it (idempotent). */
  failureRecorded(runId: string, task: string, phase: Phase): Promise<void>;
  queueStats(): Promise<QueueStats>;
}

// ---------------------------------------------------------------------------------------------
// Event log, subscriptions and the dead-letter queue
// ---------------------------------------------------------------------------------------------

/** A stored event: the CloudEvent as JSON plus when the log received it. */
export interface LoggedEvent {
  /** Log position, increasing with time (a Redis stream id on Redis); '' for a duplicate. */
  seq: string;
  receivedAt: number;
  event: StoredCloudEvent;
  /** The same source and id were appended within the dedup window: not appended again. */
  duplicate?: true;
}

export interface AppendOptions {
  /**
   * Drop an event whose `source` and `id` were appended within this many ms (0 = keep all).
   * CloudEvents makes source + id unique per event, so a retried publish is not logged twice.
   */
  dedupWindowMs?: number;
  /** Per event: false exempts it from dedup (internal events with fresh ids). Default: all deduplicated. */
  dedup?: readonly boolean[];
  /**
   * Unique per call. Sent again with the same token (its reply was lost), the call answers as the
   * first time instead of appending anew (which would log its events twice, or take the
   * deduplicated ones for duplicates, and its caller would not fan them out).
   */
  token?: string;
}

/** The JSON form of a CloudEvent (validated by the events module before it gets here). */
export interface StoredCloudEvent {
  id: string;
  type: string;
  source: string;
  specversion: string;
  [attribute: string]: unknown;
}

export interface ReadEventsQuery {
  /** Inclusive epoch ms. */
  from?: number;
  /** Inclusive epoch ms. */
  to?: number;
  /** Exact types to keep (filtering happens after the time range). */
  types?: string[];
  limit: number;
}

export interface SubscriptionRecord {
  id: string;
  pattern: string;
  target: SubscriptionTarget;
  /** Delivery attempts before the DLQ, >= 1. */
  maxAttempts: number;
  createdAt: number;
  /** Events of one ordering key are delivered one at a time, in publish order. */
  ordered?: boolean;
}

export type SubscriptionTarget =
  | { kind: 'http'; url: string }
  | { kind: 'workflow'; workflow: string }
  | { kind: 'task'; task: string }
  | { kind: 'handler'; name: string };

export type DlqKind = 'task' | 'delivery' | 'trigger';

export interface DlqEntryInput {
  kind: DlqKind;
  reason: string;
  attempts: number;
  lastError: string;
  /**
   * Names the failure: while an entry with this key exists, adding another returns it instead (a
   * failure reported again, by a redelivered invocation say, stays one entry).
   */
  key?: string;
  subscriptionId?: string;
  runId?: string;
  task?: string;
  event?: StoredCloudEvent;
  createdAt: number;
}

export interface DlqEntry extends DlqEntryInput {
  id: string;
}

export interface BusStore {
  /** Appends to the bounded log (oldest entries drop past the store's cap), in order, in one call. */
  appendEvents(events: StoredCloudEvent[], now: number, options?: AppendOptions): Promise<LoggedEvent[]>;
  /**
   * Lets these events (by source and id) be appended again within the dedup window: their fan-out
   * failed after they were logged, and the producer's retry must not be taken for a duplicate.
   */
  forgetEvents(events: StoredCloudEvent[]): Promise<void>;
  readEvents(query: ReadEventsQuery): Promise<LoggedEvent[]>;

  /**
   * Creates or replaces a subscription. With `onlyIfAbsent`, an existing id is left as it is and the
   * call returns false (atomic: of two concurrent creations with one id, exactly one returns true).
   */
  putSubscription(sub: SubscriptionRecord, options?: { onlyIfAbsent?: boolean }): Promise<boolean>;
  deleteSubscription(id: string): Promise<boolean>;
  listSubscriptions(): Promise<SubscriptionRecord[]>;
  /** Grows on every subscription change, so replicas can cache the list and reload when it moves. */
  subscriptionsVersion(): Promise<number>;

  addDlq(entry: DlqEntryInput): Promise<DlqEntry>;
  /** Newest first. */
  listDlq(query: { limit: number; subscriptionId?: string; kind?: DlqKind }): Promise<DlqEntry[]>;
  getDlq(id: string): Promise<DlqEntry | undefined>;
  deleteDlq(id: string): Promise<boolean>;
  /** DLQ sizes by subscription id ('' for entries without one). */
  dlqSizes(): Promise<Record<string, number>>;
}
