import type { Phase, Priority, RunState, TaskState } from '../model.js';
import {
  assertRunTransition,
  assertTaskTransition,
  FAILURE_MARKER,
  PRIORITIES,
  RUN_END_MARKER,
} from '../model.js';
import type { QueueStats, ReadyTask, RunMeta, TaskSpec } from '../types.js';

/** One task as the memory store keeps it: the twin of the `<task>:<field>` hash fields on Redis. */
export interface TaskRecord {
  spec: TaskSpec;
  state: TaskState;
  attempt: number;
  /** Dependencies not yet completed. */
  left: number;
  dependents: string[];
  notBefore?: number;
  workerId?: string;
  startedAt?: number;
  endedAt?: number;
  error?: string;
  /** JSON text of the result. */
  result?: string;
  /** Compensation attempt, and whether it is leased (a compensation "running"). */
  compAttempt: number;
  compLeased: boolean;
  /** Token of the lease it last ran under (replay.ts). */
  leaseToken?: string;
  /** Times the sweeper announced its final failure (model.ts: FAILURE_MARKER). */
  records?: number;
}

export interface RunRecord {
  runId: string;
  workflow: string;
  /** JSON text of the input. */
  input: string;
  meta: RunMeta;
  createdAt: number;
  status: RunState;
  queuedTimeoutMs: number;
  /** Kept this long after it ends (0: forever). */
  retentionMs: number;
  /** How long its end may wait to be announced before the sweeper announces it. */
  endGraceMs: number;
  /** Task names by topoIndex. */
  order: string[];
  tasks: Map<string, TaskRecord>;
  endedAt?: number;
  error?: string;
  failedTask?: string;
  /** A task failed for good; the run waits for running tasks before compensating or failing. */
  failing: boolean;
  compensationFailed: boolean;
  running: number;
  completed: number;
  /** Token of the call that created it, and of the call that last changed its status (replay.ts). */
  createToken?: string;
  changedBy?: string;
  /** Times the sweeper announced its end (model.ts: RUN_END_ANNOUNCES). */
  announces?: number;
}

const COUNTED: readonly TaskState[] = ['pending', 'queued', 'running', 'completed', 'failed'];

/** Task counts by state for the whole store, kept by every transition (the Redis stats hash twin). */
export class StatsCounter {
  private readonly counts = new Map<string, number>();

  move(from: TaskState | undefined, to: TaskState, priority: Priority): void {
    if (from === to) return;
    if (from) this.bump(from, priority, -1);
    this.bump(to, priority, 1);
  }

  snapshot(): QueueStats {
    const get = (k: string) => this.counts.get(k) ?? 0;
    const queuedByPriority = Object.fromEntries(PRIORITIES.map((p) => [p, get(`queued:${p}`)])) as Record<
      Priority,
      number
    >;
    return {
      pending: get('pending'),
      queued: get('queued'),
      running: get('running'),
      completed: get('completed'),
      failed: get('failed'),
      queuedByPriority,
    };
  }

  private bump(state: TaskState, priority: Priority, delta: number): void {
    if (!COUNTED.includes(state)) return;
    this.counts.set(state, (this.counts.get(state) ?? 0) + delta);
    if (state === 'queued')
      this.counts.set(`queued:${priority}`, (this.counts.get(`queued:${priority}`) ?? 0) + delta);
  }
}

export interface DeadlineEntry {
  at: number;
  runId: string;
  task: string;
}

/** Shared state of a memory store: runs, the deadline index and the stats. */
export class RunsState {
  readonly runs = new Map<string, RunRecord>();
  /** Ended runs with a retention, oldest expiry first (they end in time order). */
  readonly expiring: { runId: string; at: number }[] = [];
  readonly deadlines = new Map<string, DeadlineEntry>();
  readonly stats = new StatsCounter();
}

/**
 * Schedules a run's deletion, keeping `expiring` sorted by time: runs may have different retentions
 * (and a caller's clock may step back), so the order of ending is not the order of expiry.
 */
function expireAt(state: RunsState, runId: string, at: number): void {
  let i = state.expiring.length;
  while (i > 0 && state.expiring[i - 1]!.at > at) i--;
  state.expiring.splice(i, 0, { runId, at });
}

/** Deletes ended runs whose retention passed by `now`. */
export function purgeExpiredRuns(state: RunsState, now: number): void {
  let i = 0;
  while (i < state.expiring.length && state.expiring[i]!.at <= now) {
    const { runId } = state.expiring[i]!;
    const run = state.runs.get(runId);
    if (run && run.status !== 'running' && run.status !== 'compensating') state.runs.delete(runId);
    i++;
  }
  if (i > 0) state.expiring.splice(0, i);
}

/** The operations one atomic change performs on one run; mirrors `lua/includes/*.lua`. */
export class RunContext {
  constructor(
    readonly state: RunsState,
    readonly run: RunRecord,
    readonly now: number,
    readonly queuedTimeoutMs: number = run.queuedTimeoutMs,
    /** Token of the call making the change ('' for none): a run it moves remembers it. */
    readonly token: string = '',
  ) {}

  task(name: string): TaskRecord {
    const task = this.run.tasks.get(name);
    if (!task) throw new Error(`unknown task ${name}`);
    return task;
  }

  moveTask(name: string, to: TaskState): TaskRecord {
    const task = this.task(name);
    const from = task.state;
    assertTaskTransition(from, to);
    task.state = to;
    this.state.stats.move(from, to, task.spec.priority);
    if (from !== to) {
      if (from === 'running') this.run.running--;
      if (to === 'running') this.run.running++;
      if (from === 'completed') this.run.completed--;
      if (to === 'completed') this.run.completed++;
    }
    return task;
  }

  moveRun(to: RunState): void {
    assertRunTransition(this.run.status, to);
    this.run.status = to;
    this.run.changedBy = this.token;
    if (to !== 'compensating') {
      this.run.endedAt = this.now;
      // Owed to the bus until the publisher removes it (model.ts: RUN_END_MARKER).
      this.setDeadline(RUN_END_MARKER, this.now + this.run.endGraceMs);
      if (this.run.retentionMs > 0) {
        expireAt(this.state, this.run.runId, this.now + this.run.retentionMs);
      }
    }
  }

  /** A final failure is owed to the DLQ until its listener recorded it (model.ts: FAILURE_MARKER). */
  oweFailureRecord(phase: Phase, name: string): void {
    this.setDeadline(`${FAILURE_MARKER}${phase}:${name}`, this.now + this.run.endGraceMs);
  }

  setDeadline(name: string, at: number): void {
    this.state.deadlines.set(`${this.run.runId}|${name}`, { at, runId: this.run.runId, task: name });
  }

  clearDeadline(name: string): void {
    this.state.deadlines.delete(`${this.run.runId}|${name}`);
  }

  ready(name: string, attempt: number, phase: Phase, notBefore?: number): ReadyTask {
    const ready: ReadyTask = {
      runId: this.run.runId,
      task: name,
      attempt,
      phase,
      priority: this.task(name).spec.priority,
    };
    if (notBefore !== undefined) ready.notBefore = notBefore;
    return ready;
  }
}
