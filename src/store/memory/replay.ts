import type { ReadyTask, RunOutcome } from '../types.js';
import type { RunContext, TaskRecord } from './run-state.js';
import { outcome } from './transitions.js';

/**
 * Replays: a state change whose reply never reached its caller comes again with the same token; it
 * finds its change made and answers with its effects again, recomputed from the state. The twin of
 * `lua/includes/replay.lua`.
 */

/** Whether this call carries the token of the lease the task last ran under. */
export function sameLease(task: TaskRecord, token: string | undefined): boolean {
  return token !== undefined && token !== '' && task.leaseToken === token;
}

/** Those of `names` released (nothing left to wait for) and waiting for their first attempt. */
export function waitingFirstAttempts(ctx: RunContext, names: readonly string[], ready: ReadyTask[]): void {
  for (const name of names) {
    const task = ctx.task(name);
    if (task.state === 'queued' && task.left === 0 && task.attempt === 1) {
      ready.push(ctx.ready(name, 1, 'execute'));
    }
  }
}

/**
 * The run's outcome if the call with this token changed it last, and the compensation steps waiting
 * for a lease while it compensates.
 */
export function replayedOutcome(ctx: RunContext, token: string, ready: ReadyTask[]): RunOutcome | undefined {
  const { run } = ctx;
  if (run.status === 'compensating') {
    for (const name of run.order) {
      const task = ctx.task(name);
      if (task.state === 'compensating' && !task.compLeased) {
        ready.push(ctx.ready(name, task.compAttempt, 'compensate', task.notBefore));
      }
    }
  }
  return run.changedBy === token && run.status !== 'running' ? outcome(ctx, run.status) : undefined;
}
