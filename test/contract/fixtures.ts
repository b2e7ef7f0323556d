import type { Priority } from '../../src/store/model.js';
import type { CreateRunInput, Store, TaskSpec } from '../../src/store/types.js';

export const T0 = 1_700_000_000_000;
export const QUEUED_TIMEOUT = 60_000;
export const LEASE = 30_000;

let counter = 0;
/** A run id unique within the test process. */
export function runId(label = 'run'): string {
  counter++;
  return `${label}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function task(name: string, dependsOn: string[] = [], extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name,
    dependsOn,
    priority: 'NORMAL' as Priority,
    maxAttempts: 3,
    compensationMaxAttempts: 2,
    compensable: false,
    topoIndex: 0,
    ...extra,
  };
}

/** Assigns topoIndex in array order (callers list tasks topologically). */
export function runInput(id: string, tasks: TaskSpec[], extra: Partial<CreateRunInput> = {}): CreateRunInput {
  return {
    runId: id,
    workflow: 'wf',
    input: { order: 42 },
    tasks: tasks.map((t, i) => ({ ...t, topoIndex: i })),
    meta: { traceparent: '00-abc-def-01' },
    now: T0,
    queuedTimeoutMs: QUEUED_TIMEOUT,
    ...extra,
  };
}

/** Leases then completes an execute attempt, failing the test if either is refused. */
export async function runTask(
  store: Store,
  id: string,
  name: string,
  attempt = 1,
  result: unknown = `${name}-ok`,
  now = T0,
) {
  const lease = await store.leaseAttempt({
    runId: id,
    task: name,
    attempt,
    phase: 'execute',
    workerId: 'w1',
    now,
    leaseMs: LEASE,
  });
  if (!lease.ok) throw new Error(`lease ${name}#${attempt} refused: ${lease.reason}`);
  const done = await store.completeAttempt({
    runId: id,
    task: name,
    attempt,
    phase: 'execute',
    result,
    now: now + 1,
  });
  if (!done.ok) throw new Error(`complete ${name}#${attempt} refused: ${done.reason}`);
  return done;
}

export async function lease(
  store: Store,
  id: string,
  name: string,
  attempt = 1,
  phase: 'execute' | 'compensate' = 'execute',
  now = T0,
) {
  return store.leaseAttempt({ runId: id, task: name, attempt, phase, workerId: 'w1', now, leaseMs: LEASE });
}

export async function states(store: Store, id: string): Promise<Record<string, string>> {
  const view = await store.getRun(id);
  return Object.fromEntries((view?.tasks ?? []).map((t) => [t.name, t.state]));
}
