import { StoreError } from './errors.js';
import { PRIORITIES } from './model.js';
import type { CreateRunInput } from './types.js';

/**
 * Checks a run before either backend writes it, so both refuse the same inputs.
 * The workflow planner checks cycles; here we only guard what the atomic scripts rely on.
 */
export function validateCreateRun(input: CreateRunInput): void {
  const fail = (message: string, task?: string): never => {
    throw new StoreError('invalid_input', message, { runId: input.runId, command: 'createRun', task });
  };
  if (!input.runId || input.runId.includes('|')) fail(`invalid run id ${JSON.stringify(input.runId)}`);
  if (input.tasks.length === 0) fail('a run needs at least one task');
  if (!(input.queuedTimeoutMs > 0)) fail('queuedTimeoutMs must be > 0');
  if (input.retentionMs !== undefined && !(input.retentionMs >= 0)) fail('retentionMs must be >= 0');
  if (input.endGraceMs !== undefined && !(input.endGraceMs > 0)) fail('endGraceMs must be > 0');
  const names = new Set<string>();
  for (const task of input.tasks) {
    if (!task.name) fail('task name must not be empty');
    if (names.has(task.name)) fail(`duplicate task ${task.name}`, task.name);
    names.add(task.name);
    if (!PRIORITIES.includes(task.priority)) fail(`unknown priority ${task.priority}`, task.name);
    if (!(task.maxAttempts >= 1) || !(task.compensationMaxAttempts >= 1)) {
      fail('maxAttempts and compensationMaxAttempts must be >= 1', task.name);
    }
  }
  for (const task of input.tasks) {
    for (const dep of task.dependsOn) {
      if (!names.has(dep)) fail(`task ${task.name} depends on unknown task ${dep}`, task.name);
      if (dep === task.name) fail(`task ${task.name} depends on itself`, task.name);
    }
  }
}

/** Tasks in the order views and compensation use: topoIndex, then name for ties. */
export function byTopoIndex<T extends { topoIndex: number; name: string }>(a: T, b: T): number {
  return a.topoIndex - b.topoIndex || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** JSON text of a value as both backends store it (`undefined` becomes `null`). */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}
