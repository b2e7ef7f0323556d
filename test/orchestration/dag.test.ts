import { describe, expect, it } from 'vitest';
import {
  type DagNode,
  findCycle,
  planLevels,
  topologicalOrder,
  validateDag,
  WorkflowDefinitionError,
} from '../../src/orchestration/index.js';

const node = (name: string, ...dependsOn: string[]): DagNode => ({ name, dependsOn });

function definitionError(fn: () => unknown): WorkflowDefinitionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return error as WorkflowDefinitionError;
  }
  throw new Error('expected a WorkflowDefinitionError');
}

describe('validateDag', () => {
  it('names a cycle as a path, first task repeated last', () => {
    const error = definitionError(() => validateDag([node('a', 'b'), node('b', 'c'), node('c', 'a')]));
    expect(error.code).toBe('cycle');
    expect(error.cycle).toEqual(['a', 'b', 'c', 'a']);
    expect(error.message).toBe('cycle in task dependencies: a -> b -> c -> a');
    expect(error.name).toBe('WorkflowDefinitionError');
  });

  it('reports the first cycle met depth-first in definition order, whatever else is in the graph', () => {
    const nodes = [
      node('root'),
      node('x', 'root', 'y'),
      node('y', 'z'),
      node('z', 'x'),
      node('p', 'q'),
      node('q', 'p'),
    ];
    expect(definitionError(() => validateDag(nodes)).cycle).toEqual(['x', 'y', 'z', 'x']);
    // Deterministic: the same definition always gives the same answer.
    expect(findCycle(nodes)).toEqual(['x', 'y', 'z', 'x']);
  });

  it('finds a cycle that does not go through the first task', () => {
    expect(findCycle([node('a'), node('b', 'a', 'c'), node('c', 'b')])).toEqual(['b', 'c', 'b']);
  });

  it('names the task and the unknown dependency', () => {
    const error = definitionError(() => validateDag([node('a'), node('b', 'a', 'ghost')]));
    expect(error.code).toBe('unknown_dependency');
    expect(error.task).toBe('b');
    expect(error.dependency).toBe('ghost');
    expect(error.message).toBe("task 'b' depends on unknown task 'ghost'");
  });

  it('refuses a self-dependency', () => {
    const error = definitionError(() => validateDag([node('a', 'a')]));
    expect(error.code).toBe('self_dependency');
    expect(error.message).toBe("task 'a' depends on itself");
  });

  it('refuses duplicate task names and dependencies listed twice', () => {
    const duplicate = definitionError(() => validateDag([node('a'), node('b'), node('a')]));
    expect(duplicate.code).toBe('duplicate_task');
    expect(duplicate.message).toBe("task 'a' is defined twice");
    const twice = definitionError(() => validateDag([node('a'), node('b', 'a', 'a')]));
    expect(twice.code).toBe('duplicate_dependency');
  });

  it('prefixes messages with the context', () => {
    expect(() => validateDag([node('a', 'a')], "workflow 'w': ")).toThrow(
      "workflow 'w': task 'a' depends on itself",
    );
  });

  it('accepts an empty graph and returns no cycle for a DAG', () => {
    expect(() => validateDag([])).not.toThrow();
    expect(findCycle([node('a'), node('b', 'a')])).toBeUndefined();
  });

  it('handles a very long chain without overflowing the stack', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) =>
      i === 0 ? node('t0') : node(`t${i}`, `t${i - 1}`),
    );
    expect(findCycle(chain)).toBeUndefined();
    expect(planLevels(chain)).toHaveLength(20_000);
  });
});

describe('planLevels', () => {
  it('plans a diamond in three levels', () => {
    expect(planLevels([node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b', 'c')])).toEqual([
      ['a'],
      ['b', 'c'],
      ['d'],
    ]);
  });

  it('plans a fan-out 1 -> 10 -> 1', () => {
    const middle = Array.from({ length: 10 }, (_, i) => node(`m${i}`, 'start'));
    const nodes = [node('start'), ...middle, node('end', ...middle.map((m) => m.name).reverse())];
    expect(planLevels(nodes)).toEqual([['start'], middle.map((m) => m.name), ['end']]);
  });

  it('plans a chain one task per level', () => {
    expect(planLevels([node('a'), node('b', 'a'), node('c', 'b')])).toEqual([['a'], ['b'], ['c']]);
  });

  it('keeps definition order within a level even when definitions come out of order', () => {
    const nodes = [node('z', 'y'), node('c', 'a'), node('b', 'a'), node('y'), node('a')];
    expect(planLevels(nodes)).toEqual([
      ['y', 'a'],
      ['z', 'c', 'b'],
    ]);
    expect(topologicalOrder(nodes)).toEqual(['y', 'a', 'z', 'c', 'b']);
  });

  it('puts a task in the level after its deepest dependency', () => {
    expect(planLevels([node('a'), node('b', 'a'), node('c', 'a', 'b')])).toEqual([['a'], ['b'], ['c']]);
  });

  it('validates before planning', () => {
    expect(() => planLevels([node('a', 'b'), node('b', 'a')])).toThrow(WorkflowDefinitionError);
  });
});
