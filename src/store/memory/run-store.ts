import {
  FAILURE_MARKER,
  type Phase,
  RUN_END_ANNOUNCES,
  RUN_END_GRACE_MS,
  RUN_END_MARKER,
  type TaskState,
  TERMINAL_RUN_STATES,
} from '../model.js';
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
  ReadyTask,
  RunStore,
  RunView,
  TaskView,
} from '../types.js';
import { byTopoIndex, toJson, validateCreateRun } from '../validate.js';
import { replayedOutcome, sameLease, waitingFirstAttempts } from './replay.js';
import { purgeExpiredRuns, RunContext, type RunRecord, RunsState, type TaskRecord } from './run-state.js';
import {
  continueCompensation,
  endRun,
  failCompensation,
  failExecution,
  outcome,
  queueTask,
  releaseDependents,
  settleFailure,
} from './transitions.js';

/** States a completed task may be in later: a completion sent again finds it in one of them. */
const COMPLETED_SINCE: readonly TaskState[] = [
  'completed',
  'compensating',
  'compensated',
  'compensation_failed',
];

const parse = (json: string | undefined): unknown => (json === undefined ? undefined : JSON.parse(json));

/**
 * The run half of the in-process store. Each method body is synchronous, so it is atomic with
 * respect to every other call, exactly like one Lua script on Redis.
 */
export class MemoryRunStore implements RunStore {
  protected readonly state = new RunsState();
  /** Replies of recent sweeps by token, for a resend (the Lua twin keeps them a minute too). */
  private readonly sweepReplies = new Map<string, { until: number; result: ExpireResult }>();

  async createRun(input: CreateRunInput): Promise<CreateRunResult> {
    validateCreateRun(input);
    purgeExpiredRuns(this.state, input.now);
    const existing = this.state.runs.get(input.runId);
    if (existing) {
      if (!input.token || existing.createToken !== input.token) {
        return { created: false, ready: [], status: existing.status };
      }
      // The same call again (its reply was lost): what waits for its first attempt.
      const ready: ReadyTask[] = [];
      waitingFirstAttempts(new RunContext(this.state, existing, input.now), existing.order, ready);
      return { created: true, ready, status: existing.status };
    }
    const specs = [...input.tasks].sort(byTopoIndex);
    const run: RunRecord = {
      runId: input.runId,
      workflow: input.workflow,
      input: toJson(input.input),
      meta: { ...input.meta },
      createdAt: input.now,
      status: 'running',
      queuedTimeoutMs: input.queuedTimeoutMs,
      retentionMs: input.retentionMs ?? 0,
      endGraceMs: input.endGraceMs ?? RUN_END_GRACE_MS,
      order: specs.map((s) => s.name),
      tasks: new Map(),
      failing: false,
      compensationFailed: false,
      running: 0,
      completed: 0,
      createToken: input.token ?? '',
    };
    for (const spec of specs) {
      run.tasks.set(spec.name, {
        spec: { ...spec, dependsOn: [...spec.dependsOn] },
        state: 'pending',
        attempt: 0,
        left: spec.dependsOn.length,
        dependents: [],
        compAttempt: 0,
        compLeased: false,
      });
      this.state.stats.move(undefined, 'pending', spec.priority);
    }
    for (const spec of specs)
      for (const dep of spec.dependsOn) run.tasks.get(dep)!.dependents.push(spec.name);
    this.state.runs.set(run.runId, run);
    const ctx = new RunContext(this.state, run, input.now);
    const ready = specs.filter((s) => s.dependsOn.length === 0).map((s) => queueTask(ctx, s.name, 1));
    return { created: true, ready, status: run.status };
  }

  async leaseAttempt(input: LeaseInput): Promise<LeaseResult> {
    const run = this.state.runs.get(input.runId);
    const task = run?.tasks.get(input.task);
    if (!run || !task) return { ok: false, reason: 'not_found' };
    // The attempt already ended, or never will: where the task is instead.
    const ended = (reason: 'stale' | 'run_ended'): LeaseResult => ({
      ok: false,
      reason,
      state: task.state,
      attempt: input.phase === 'execute' ? task.attempt : task.compAttempt,
    });
    if (TERMINAL_RUN_STATES.includes(run.status)) return ended('run_ended');
    const ctx = new RunContext(this.state, run, input.now);
    // Leased already: by this very call sent again (same token), or by another (busy).
    let replay = false;
    if (input.phase === 'execute') {
      if (task.attempt !== input.attempt) return ended('stale');
      if (task.state === 'running') {
        if (!sameLease(task, input.token)) return { ok: false, reason: 'busy' };
        replay = true;
      } else if (task.state !== 'queued') {
        return ended('stale');
      } else {
        ctx.moveTask(input.task, 'running');
      }
    } else {
      if (task.state !== 'compensating' || task.compAttempt !== input.attempt) return ended('stale');
      if (task.compLeased) {
        if (!sameLease(task, input.token)) return { ok: false, reason: 'busy' };
        replay = true;
      }
      task.compLeased = true;
    }
    if (!replay) {
      task.workerId = input.workerId;
      task.startedAt = input.now;
      task.leaseToken = input.token ?? '';
    }
    ctx.setDeadline(input.task, input.now + input.leaseMs);
    const deps = Object.fromEntries(task.spec.dependsOn.map((d) => [d, parse(run.tasks.get(d)!.result)]));
    const lease: LeaseResult = {
      ok: true,
      workflow: run.workflow,
      input: parse(run.input),
      deps,
      meta: { ...run.meta },
      attempt: input.attempt,
      runCreatedAt: run.createdAt,
    };
    if (input.phase === 'compensate') lease.result = parse(task.result);
    return lease;
  }

  async completeAttempt(input: CompleteInput): Promise<CompleteResult> {
    const found = this.find(input.runId, input.task);
    if (!found) return { ok: false, reason: 'not_found' };
    const { run, task } = found;
    const token = input.token ?? '';
    const ctx = new RunContext(this.state, run, input.now, run.queuedTimeoutMs, token);
    const ready: ReadyTask[] = [];
    const replay = (): CompleteResult => {
      const ended = replayedOutcome(ctx, token, ready);
      return ended ? { ok: true, ready, run: ended } : { ok: true, ready };
    };
    if (input.phase === 'compensate') {
      if (!this.isLeasedCompensation(task, input.attempt)) {
        const done = task.state === 'compensated' && task.compAttempt === input.attempt;
        return done && sameLease(task, token) ? replay() : { ok: false, reason: 'stale' };
      }
      ctx.moveTask(input.task, 'compensated');
      task.endedAt = input.now;
      ctx.clearDeadline(input.task);
      const ended = continueCompensation(ctx, ready);
      return ended ? { ok: true, ready, run: ended } : { ok: true, ready };
    }
    if (task.state !== 'running' || task.attempt !== input.attempt) {
      // Completed by this call, then maybe already compensating (the run was failing).
      if (
        !COMPLETED_SINCE.includes(task.state) ||
        task.attempt !== input.attempt ||
        !sameLease(task, token)
      ) {
        return { ok: false, reason: 'stale' };
      }
      waitingFirstAttempts(ctx, task.dependents, ready);
      return replay();
    }
    ctx.moveTask(input.task, 'completed');
    task.result = toJson(input.result);
    task.endedAt = input.now;
    ctx.clearDeadline(input.task);
    if (run.status !== 'running') return { ok: true, ready };
    if (run.failing) {
      return run.running === 0 ? { ok: true, ready, run: settleFailure(ctx, ready) } : { ok: true, ready };
    }
    ready.push(...releaseDependents(ctx, input.task));
    if (run.completed === run.order.length) return { ok: true, ready, run: endRun(ctx, 'completed') };
    return { ok: true, ready };
  }

  async failAttempt(input: FailInput): Promise<FailResult> {
    const found = this.find(input.runId, input.task);
    if (!found) return { ok: false, reason: 'not_found' };
    const { run, task } = found;
    const token = input.token ?? '';
    const ctx = new RunContext(this.state, run, input.now, run.queuedTimeoutMs, token);
    if (input.phase === 'compensate') {
      if (this.isLeasedCompensation(task, input.attempt)) {
        return { ok: true, skipped: [], ...failCompensation(ctx, input.task, input.error, input.retryAt) };
      }
    } else if (task.state === 'running' && task.attempt === input.attempt) {
      return { ok: true, ...failExecution(ctx, input.task, input.error, input.retryAt) };
    }
    return sameLease(task, token) ? this.replayFailure(ctx, input) : { ok: false, reason: 'stale' };
  }

  /** A failure recorded already whose reply was lost: its effects again (replay.ts). */
  private replayFailure(ctx: RunContext, input: FailInput): FailResult {
    const task = ctx.task(input.task);
    const compensate = input.phase === 'compensate';
    const current = compensate ? task.compAttempt : task.attempt;
    const waiting = task.state === 'queued' || (task.state === 'compensating' && !task.compLeased);
    if (current === input.attempt + 1 && waiting) {
      const ready = [ctx.ready(input.task, current, input.phase, task.notBefore)];
      return { ok: true, willRetry: true, ready, skipped: [] };
    }
    if (current === input.attempt && (task.state === 'failed' || task.state === 'compensation_failed')) {
      const firstFailure = task.state === 'failed' && ctx.run.failedTask === input.task;
      const skipped = firstFailure ? ctx.run.order.filter((n) => ctx.task(n).state === 'skipped') : [];
      const ready: ReadyTask[] = [];
      const ended = replayedOutcome(ctx, input.token ?? '', ready);
      return ended
        ? { ok: true, willRetry: false, ready, skipped, run: ended }
        : { ok: true, willRetry: false, ready, skipped };
    }
    return { ok: false, reason: 'stale' };
  }

  async expireLeases(input: ExpireInput): Promise<ExpireResult> {
    const kept = input.token ? this.sweepReplies.get(input.token) : undefined;
    if (kept && kept.until > input.now) return structuredClone(kept.result);
    const { result, due } = this.sweep(input);
    // Kept when anything was due, as the Lua twin does (entries of deleted runs included).
    if (input.token && due > 0) {
      for (const [token, reply] of this.sweepReplies)
        if (reply.until <= input.now) this.sweepReplies.delete(token);
      this.sweepReplies.set(input.token, { until: input.now + 60_000, result: structuredClone(result) });
    }
    return result;
  }

  private sweep(input: ExpireInput): { result: ExpireResult; due: number } {
    purgeExpiredRuns(this.state, input.now);
    const result: Required<ExpireResult> = {
      requeued: [],
      expired: [],
      ready: [],
      unannounced: [],
      unrecorded: [],
    };
    const due = [...this.state.deadlines.entries()]
      .filter(([, d]) => d.at <= input.now)
      .sort(([ka, a], [kb, b]) => a.at - b.at || (ka < kb ? -1 : 1))
      .slice(0, input.limit);
    for (const [key, { runId, task: name }] of due) {
      this.state.deadlines.delete(key);
      const run = this.state.runs.get(runId);
      if (name === RUN_END_MARKER) {
        if (run?.endedAt === undefined || !TERMINAL_RUN_STATES.includes(run.status)) continue;
        run.announces = (run.announces ?? 0) + 1;
        if (run.announces > RUN_END_ANNOUNCES) continue;
        this.state.deadlines.set(key, { at: input.now + run.endGraceMs, runId, task: name });
        // The outcome as it was when the run ended (its duration runs to endedAt, not to now).
        const ended = new RunContext(this.state, run, run.endedAt, run.queuedTimeoutMs);
        result.unannounced.push({ runId, endedAt: run.endedAt, run: outcome(ended, run.status) });
        continue;
      }
      if (name.startsWith(FAILURE_MARKER)) {
        const [phase, failed] = name.slice(FAILURE_MARKER.length).split(':') as [Phase, string];
        const task = run?.tasks.get(failed);
        const final = phase === 'execute' ? 'failed' : 'compensation_failed';
        if (!run || !task || task.state !== final) continue;
        task.records = (task.records ?? 0) + 1;
        if (task.records > RUN_END_ANNOUNCES) continue;
        this.state.deadlines.set(key, { at: input.now + run.endGraceMs, runId, task: name });
        result.unrecorded.push({
          runId,
          workflow: run.workflow,
          meta: { ...run.meta },
          task: failed,
          phase,
          attempt: phase === 'execute' ? task.attempt : task.compAttempt,
          error: task.error ?? '',
          workerId: task.workerId ?? '',
          endedAt: task.endedAt ?? input.now,
        });
        continue;
      }
      const task = run?.tasks.get(name);
      if (!run || !task) continue;
      const ctx = new RunContext(this.state, run, input.now, input.queuedTimeoutMs);
      const error = 'lease expired';
      if (task.state === 'queued') {
        const ready = queueTask(ctx, name, task.attempt);
        result.requeued.push(ready);
        result.ready.push(ready);
      } else if (task.state === 'compensating' && !task.compLeased) {
        ctx.setDeadline(name, input.now + input.queuedTimeoutMs);
        const ready = ctx.ready(name, task.compAttempt, 'compensate');
        result.requeued.push(ready);
        result.ready.push(ready);
      } else if (task.state === 'running' || task.state === 'compensating') {
        // The expired lease's holder may still report: that late call is no replay of this change.
        task.leaseToken = '';
        const compensate = task.state === 'compensating';
        const attempt = compensate ? task.compAttempt : task.attempt;
        const failed = compensate
          ? { skipped: [], ...failCompensation(ctx, name, error, input.now) }
          : failExecution(ctx, name, error, input.now);
        result.ready.push(...failed.ready);
        result.expired.push({
          runId,
          task: name,
          attempt,
          phase: compensate ? 'compensate' : 'execute',
          willRetry: failed.willRetry,
          skipped: failed.skipped,
          ...(failed.run ? { run: failed.run } : {}),
        });
      }
    }
    return { result, due: due.length };
  }

  async cancelRun(input: CancelInput): Promise<CancelResult> {
    const run = this.state.runs.get(input.runId);
    if (!run) return { ok: false, reason: 'not_found', cancelled: [] };
    // Failing: the saga starts once the running siblings end; cancelling would skip it.
    if (run.status === 'compensating' || (run.status === 'running' && run.failing)) {
      return { ok: false, reason: 'compensating', cancelled: [] };
    }
    const token = input.token ?? '';
    const ctx = new RunContext(this.state, run, input.now, run.queuedTimeoutMs, token);
    if (run.status !== 'running') {
      if (run.status !== 'cancelled' || token === '' || run.changedBy !== token) {
        return { ok: false, reason: 'run_ended', cancelled: [] };
      }
      // The same call again (its reply was lost).
      const cancelled = run.order.filter((name) => ctx.task(name).state === 'cancelled');
      return { ok: true, cancelled, run: outcome(ctx, 'cancelled') };
    }
    const cancelled: string[] = [];
    for (const name of run.order) {
      const task = ctx.task(name);
      if (task.state !== 'pending' && task.state !== 'queued') continue;
      ctx.moveTask(name, 'cancelled');
      task.endedAt = input.now;
      ctx.clearDeadline(name);
      cancelled.push(name);
    }
    if (input.reason !== undefined) run.error = input.reason;
    ctx.moveRun('cancelled');
    return { ok: true, cancelled, run: outcome(ctx, 'cancelled') };
  }

  async runAnnounced(runId: string): Promise<void> {
    this.state.deadlines.delete(`${runId}|${RUN_END_MARKER}`);
  }

  async failureRecorded(runId: string, task: string, phase: Phase): Promise<void> {
    this.state.deadlines.delete(`${runId}|${FAILURE_MARKER}${phase}:${task}`);
  }

  async getRun(runId: string): Promise<RunView | undefined> {
    const run = this.state.runs.get(runId);
    if (!run) return undefined;
    const tasks = run.order.map((name): TaskView => {
      const t = run.tasks.get(name)!;
      const view: TaskView = {
        name,
        state: t.state,
        attempt: t.attempt,
        priority: t.spec.priority,
        dependsOn: [...t.spec.dependsOn],
      };
      if (t.result !== undefined) view.result = parse(t.result);
      if (t.error !== undefined) view.error = t.error;
      if (t.startedAt !== undefined) view.startedAt = t.startedAt;
      if (t.endedAt !== undefined) view.endedAt = t.endedAt;
      if (t.workerId !== undefined) view.workerId = t.workerId;
      if (t.state === 'compensating' || t.state === 'compensated' || t.state === 'compensation_failed') {
        view.compensation = { attempt: t.compAttempt, leased: t.compLeased };
      }
      const waiting = t.state === 'queued' || (t.state === 'compensating' && !t.compLeased);
      if (waiting && t.notBefore !== undefined) view.nextAttemptAt = t.notBefore;
      return view;
    });
    const view: RunView = {
      runId,
      workflow: run.workflow,
      status: run.status,
      input: parse(run.input),
      meta: { ...run.meta },
      createdAt: run.createdAt,
      tasks,
    };
    if (run.endedAt !== undefined) view.endedAt = run.endedAt;
    if (run.error !== undefined) view.error = run.error;
    return view;
  }

  async queueStats(): Promise<QueueStats> {
    return this.state.stats.snapshot();
  }

  private find(runId: string, name: string): { run: RunRecord; task: TaskRecord } | undefined {
    const run = this.state.runs.get(runId);
    const task = run?.tasks.get(name);
    return run && task ? { run, task } : undefined;
  }

  private isLeasedCompensation(task: TaskRecord, attempt: number): boolean {
    return task.state === 'compensating' && task.compAttempt === attempt && task.compLeased;
  }
}
