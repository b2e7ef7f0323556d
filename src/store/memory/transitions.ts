import type { RunState } from '../model.js';
import type { ReadyTask, RunOutcome } from '../types.js';
import type { RunContext } from './run-state.js';

/**
 * The state machine steps shared by complete, fail, expire and cancel: the in-memory twin of
 * `lua/includes/engine.lua`. Each function runs inside one synchronous (atomic) block.
 */

/** Moves a task to `queued` with a queued deadline and returns it as ready. */
export function queueTask(ctx: RunContext, name: string, attempt: number, notBefore?: number): ReadyTask {
  const task = ctx.moveTask(name, 'queued');
  task.attempt = attempt;
  task.notBefore = notBefore;
  ctx.setDeadline(name, (notBefore ?? ctx.now) + ctx.queuedTimeoutMs);
  return ctx.ready(name, attempt, 'execute', notBefore);
}

/** Counts down the dependents of a completed task and queues those with nothing left to wait for. */
export function releaseDependents(ctx: RunContext, name: string): ReadyTask[] {
  const ready: ReadyTask[] = [];
  for (const dependent of ctx.task(name).dependents) {
    const task = ctx.task(dependent);
    task.left--;
    if (task.left === 0 && task.state === 'pending') ready.push(queueTask(ctx, dependent, 1));
  }
  return ready;
}

export function outcome(ctx: RunContext, status: RunState): RunOutcome {
  const { run } = ctx;
  const result: RunOutcome = {
    status,
    workflow: run.workflow,
    durationMs: ctx.now - run.createdAt,
    meta: { ...run.meta },
  };
  if (status === 'completed') {
    result.results = Object.fromEntries(
      run.order.map((name) => [name, JSON.parse(ctx.task(name).result ?? 'null') as unknown]),
    );
  }
  if (run.error !== undefined) result.error = run.error;
  if (run.failedTask !== undefined) result.failedTask = run.failedTask;
  return result;
}

export function endRun(ctx: RunContext, status: RunState): RunOutcome {
  ctx.moveRun(status);
  return outcome(ctx, status);
}

/** Starts compensating the completed compensable task with the highest topoIndex, if any. */
export function startNextCompensation(ctx: RunContext): ReadyTask | undefined {
  for (let i = ctx.run.order.length - 1; i >= 0; i--) {
    const name = ctx.run.order[i]!;
    const task = ctx.task(name);
    if (task.state !== 'completed' || !task.spec.compensable) continue;
    ctx.moveTask(name, 'compensating');
    task.compAttempt = 1;
    task.compLeased = false;
    task.notBefore = undefined;
    ctx.setDeadline(name, ctx.now + ctx.queuedTimeoutMs);
    return ctx.ready(name, 1, 'compensate');
  }
  return undefined;
}

/** A failing run with nothing running left: compensate what completed, or fail. */
export function settleFailure(ctx: RunContext, ready: ReadyTask[]): RunOutcome {
  const next = startNextCompensation(ctx);
  if (!next) return endRun(ctx, 'failed');
  ready.push(next);
  ctx.moveRun('compensating');
  return outcome(ctx, 'compensating');
}

/** After a compensation step ended: start the next one, or end the run. */
export function continueCompensation(ctx: RunContext, ready: ReadyTask[]): RunOutcome | undefined {
  const next = startNextCompensation(ctx);
  if (next) {
    ready.push(next);
    return undefined;
  }
  return endRun(ctx, ctx.run.compensationFailed ? 'failed' : 'compensated');
}

export interface FinalFailure {
  skipped: string[];
  ready: ReadyTask[];
  run?: RunOutcome;
}

/** A running attempt failed for good: fail fast, then compensate or fail once nothing runs. */
export function failTaskForGood(ctx: RunContext, name: string, error: string): FinalFailure {
  const task = ctx.moveTask(name, 'failed');
  task.error = error;
  task.endedAt = ctx.now;
  ctx.clearDeadline(name);
  ctx.oweFailureRecord('execute', name);
  const result: FinalFailure = { skipped: [], ready: [] };
  const { run } = ctx;
  if (run.status !== 'running') return result;
  if (!run.failing) {
    run.failing = true;
    run.error = error;
    run.failedTask = name;
    for (const other of run.order) {
      const state = ctx.task(other).state;
      if (state !== 'pending' && state !== 'queued') continue;
      ctx.moveTask(other, 'skipped');
      ctx.clearDeadline(other);
      result.skipped.push(other);
    }
  }
  if (run.running === 0) result.run = settleFailure(ctx, result.ready);
  return result;
}

/** A compensation attempt failed: retry it, or mark it failed and go on with the next one. */
export function failCompensation(
  ctx: RunContext,
  name: string,
  error: string,
  retryAt: number | undefined,
): { willRetry: boolean; ready: ReadyTask[]; run?: RunOutcome } {
  const task = ctx.task(name);
  task.error = error;
  if (retryAt !== undefined && task.compAttempt < task.spec.compensationMaxAttempts) {
    ctx.moveTask(name, 'compensating');
    task.compAttempt++;
    task.compLeased = false;
    task.notBefore = retryAt;
    ctx.setDeadline(name, retryAt + ctx.queuedTimeoutMs);
    return { willRetry: true, ready: [ctx.ready(name, task.compAttempt, 'compensate', retryAt)] };
  }
  ctx.moveTask(name, 'compensation_failed');
  task.endedAt = ctx.now;
  ctx.clearDeadline(name);
  ctx.oweFailureRecord('compensate', name);
  ctx.run.compensationFailed = true;
  const ready: ReadyTask[] = [];
  const run = continueCompensation(ctx, ready);
  return run ? { willRetry: false, ready, run } : { willRetry: false, ready };
}

/** An execute attempt failed: retry while attempts remain and the run still runs normally. */
export function failExecution(
  ctx: RunContext,
  name: string,
  error: string,
  retryAt: number | undefined,
): { willRetry: boolean; ready: ReadyTask[]; skipped: string[]; run?: RunOutcome } {
  const task = ctx.task(name);
  const canRetry = ctx.run.status === 'running' && !ctx.run.failing && task.attempt < task.spec.maxAttempts;
  if (retryAt !== undefined && canRetry) {
    task.error = error;
    return { willRetry: true, ready: [queueTask(ctx, name, task.attempt + 1, retryAt)], skipped: [] };
  }
  return { willRetry: false, ...failTaskForGood(ctx, name, error) };
}
