import { expect } from 'vitest';
import {
  canTransitionRun,
  canTransitionTask,
  type RunState,
  TASK_STATES,
  type TaskState,
} from '../../src/store/model.js';
import type { Store } from '../../src/store/types.js';

const MUTATIONS = new Set([
  'createRun',
  'leaseAttempt',
  'completeAttempt',
  'failAttempt',
  'expireLeases',
  'cancelRun',
]);

/**
 * One call may take a task through one state in between: the completion of the last running task
 * of a failing run starts that task's compensation (running -> completed -> compensating).
 */
function canReachTask(from: TaskState, to: TaskState): boolean {
  return (
    canTransitionTask(from, to) ||
    TASK_STATES.some((via) => canTransitionTask(from, via) && canTransitionTask(via, to))
  );
}

/**
 * Wraps a store so that, after every state-changing call, each known run is read back and every
 * task and run state change seen since the last read is checked against the model.ts tables.
 */
export function observeTransitions(store: Store): Store {
  const seen = new Map<string, { status: RunState; tasks: Map<string, TaskState> }>();
  const check = async () => {
    for (const [runId, before] of seen) {
      const view = await store.getRun(runId);
      if (!view) continue;
      if (before.status !== view.status) {
        expect(canTransitionRun(before.status, view.status), `run ${before.status} -> ${view.status}`).toBe(
          true,
        );
      }
      for (const t of view.tasks) {
        const from = before.tasks.get(t.name);
        if (from && from !== t.state) {
          expect(canReachTask(from, t.state), `task ${t.name} ${from} -> ${t.state}`).toBe(true);
        }
      }
      seen.set(runId, { status: view.status, tasks: new Map(view.tasks.map((t) => [t.name, t.state])) });
    }
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !MUTATIONS.has(String(prop))) return value;
      return async (...args: unknown[]) => {
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (prop === 'createRun') {
          const runId = (args[0] as { runId: string }).runId;
          if (!seen.has(runId)) seen.set(runId, { status: 'running', tasks: new Map() });
          const view = await target.getRun(runId);
          if (view)
            seen.set(runId, {
              status: view.status,
              tasks: new Map(view.tasks.map((t) => [t.name, t.state])),
            });
        }
        await check();
        return result;
      };
    },
  });
}
