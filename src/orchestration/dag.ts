/**
 * The task graph of a workflow: checked when the workflow is defined, then planned.
 * Every answer is deterministic: definition order breaks every tie, so the same definition always
 * yields the same plan, the same topological indexes and the same error message.
 */
import { WorkflowDefinitionError } from './errors.js';

/** A task as the graph sees it: a name and the names it waits for. */
export interface DagNode {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/**
 * Throws a {@link WorkflowDefinitionError} for the first problem found, in this order: a duplicate
 * task name, then per task (in definition order) a self-dependency, a dependency listed twice or an
 * unknown dependency, and last a cycle, named as a path (`a -> b -> c -> a`, each depending on the next).
 * `context` prefixes every message (`"workflow 'signup': "`).
 *
 * @example
 * validateDag([{ name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] }]);
 * // WorkflowDefinitionError: cycle in task dependencies: a -> b -> a
 */
export function validateDag(nodes: readonly DagNode[], context = ''): void {
  const names = new Set<string>();
  for (const { name } of nodes) {
    if (names.has(name)) {
      throw new WorkflowDefinitionError(`${context}task '${name}' is defined twice`, {
        code: 'duplicate_task',
        task: name,
      });
    }
    names.add(name);
  }
  for (const { name, dependsOn } of nodes) {
    const seen = new Set<string>();
    for (const dep of dependsOn) {
      if (dep === name) {
        throw new WorkflowDefinitionError(`${context}task '${name}' depends on itself`, {
          code: 'self_dependency',
          task: name,
          dependency: dep,
        });
      }
      if (seen.has(dep)) {
        throw new WorkflowDefinitionError(`${context}task '${name}' lists dependency '${dep}' twice`, {
          code: 'duplicate_dependency',
          task: name,
          dependency: dep,
        });
      }
      seen.add(dep);
      if (!names.has(dep)) {
        throw new WorkflowDefinitionError(`${context}task '${name}' depends on unknown task '${dep}'`, {
          code: 'unknown_dependency',
          task: name,
          dependency: dep,
        });
      }
    }
  }
  const cycle = findCycle(nodes);
  if (cycle) {
    throw new WorkflowDefinitionError(`${context}cycle in task dependencies: ${cycle.join(' -> ')}`, {
      code: 'cycle',
      task: cycle[0],
      cycle,
    });
  }
}

/**
 * One cycle, as a path whose first name is repeated last, or `undefined` when the graph is acyclic.
 * Depth-first from each task in definition order, dependencies in the order listed; the first
 * dependency that leads back onto the current path closes the cycle reported. Unknown names are ignored.
 *
 * @example
 * findCycle([{ name: 'a', dependsOn: ['c'] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['b'] }]);
 * // ['a', 'c', 'b', 'a']
 */
export function findCycle(nodes: readonly DagNode[]): string[] | undefined {
  const deps = new Map(nodes.map((n) => [n.name, n.dependsOn] as const));
  const state = new Map<string, 'active' | 'done'>();
  for (const { name: root } of nodes) {
    if (state.has(root)) continue;
    // Iterative, so a chain of thousands of tasks cannot overflow the call stack.
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 'active');
    while (path.length > 0) {
      const top = path.length - 1;
      const name = path[top]!;
      const list = deps.get(name) ?? [];
      const i = next[top]!;
      if (i >= list.length) {
        state.set(name, 'done');
        path.pop();
        next.pop();
        continue;
      }
      next[top] = i + 1;
      const dep = list[i]!;
      if (!deps.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === 'active') return [...path.slice(path.indexOf(dep)), dep];
      if (seen === undefined) {
        state.set(dep, 'active');
        path.push(dep);
        next.push(0);
      }
    }
  }
  return undefined;
}

/**
 * Kahn's algorithm by rounds: level 0 holds the tasks without dependencies, level n the tasks whose
 * last dependency is in level n - 1. Within a level, definition order. Validates first.
 *
 * @example
 * planLevels([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['a'] }]);
 * // [['a'], ['b', 'c']]
 */
export function planLevels(nodes: readonly DagNode[], context = ''): string[][] {
  validateDag(nodes, context);
  const dependents = new Map<string, string[]>(nodes.map((n) => [n.name, []]));
  const waiting = new Map<string, number>();
  for (const { name, dependsOn } of nodes) {
    waiting.set(name, dependsOn.length);
    for (const dep of dependsOn) dependents.get(dep)!.push(name);
  }
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  const levels: string[][] = [];
  let current = nodes.filter((n) => n.dependsOn.length === 0).map((n) => n.name);
  while (current.length > 0) {
    levels.push(current);
    const released: string[] = [];
    for (const name of current) {
      for (const dependent of dependents.get(name)!) {
        const left = waiting.get(dependent)! - 1;
        waiting.set(dependent, left);
        if (left === 0) released.push(dependent);
      }
    }
    current = released.sort((a, b) => order.get(a)! - order.get(b)!);
  }
  return levels;
}

/**
 * The plan's levels end to end: a topological order (every task after all of its dependencies).
 *
 * @example
 * topologicalOrder([{ name: 'b', dependsOn: ['a'] }, { name: 'a', dependsOn: [] }]); // ['a', 'b']
 */
export function topologicalOrder(nodes: readonly DagNode[], context = ''): string[] {
  return planLevels(nodes, context).flat();
}
