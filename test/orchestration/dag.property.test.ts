import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DagNode,
  type DynamicWorkflow,
  defineWorkflow,
  findCycle,
  planLevels,
  topologicalOrder,
  WorkflowDefinitionError,
} from '../../src/orchestration/index.js';

/** Random DAGs: task i may only depend on tasks defined before it, then the list is shuffled. */
const dagArbitrary = fc
  .integer({ min: 1, max: 30 })
  .chain((size) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: size }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `t${j}`))),
      ),
      fc.shuffledSubarray(
        Array.from({ length: size }, (_, i) => i),
        { minLength: size, maxLength: size },
      ),
    ),
  )
  .map(([deps, order]) => ({
    // In dependency order (what the builder requires) ...
    ordered: deps.map((dependsOn, i): DagNode => ({ name: `t${i}`, dependsOn })),
    // ... and shuffled (what a generated definition may look like).
    shuffled: order.map((i): DagNode => ({ name: `t${i}`, dependsOn: deps[i]! })),
  }));

describe('plans of random DAGs', () => {
  it('plan levels respect dependencies and cover every task once', () => {
    fc.assert(
      fc.property(dagArbitrary, ({ shuffled }) => {
        const levels = planLevels(shuffled);
        const levelOf = new Map(levels.flatMap((level, i) => level.map((name) => [name, i] as const)));
        expect(levelOf.size).toBe(shuffled.length);
        expect(levels.flat()).toHaveLength(shuffled.length);
        for (const { name, dependsOn } of shuffled) {
          for (const dep of dependsOn) expect(levelOf.get(dep)!).toBeLessThan(levelOf.get(name)!);
          // Kahn levels are tight: a task sits right after its deepest dependency.
          const expected =
            dependsOn.length === 0 ? 0 : Math.max(...dependsOn.map((d) => levelOf.get(d)!)) + 1;
          expect(levelOf.get(name)).toBe(expected);
        }
      }),
    );
  });

  it('topological order puts every dependency first', () => {
    fc.assert(
      fc.property(dagArbitrary, ({ shuffled }) => {
        const position = new Map(topologicalOrder(shuffled).map((name, i) => [name, i]));
        for (const { name, dependsOn } of shuffled) {
          for (const dep of dependsOn) expect(position.get(dep)!).toBeLessThan(position.get(name)!);
        }
      }),
    );
  });

  it('toTaskSpecs gives every dependency a smaller topoIndex, indexes 0..n-1', () => {
    fc.assert(
      fc.property(
        dagArbitrary,
        fc.constantFrom('CRITICAL', 'HIGH', 'NORMAL', 'LOW' as const),
        ({ ordered }, p) => {
          let wf: DynamicWorkflow = defineWorkflow({ name: 'random' });
          for (const { name, dependsOn } of ordered)
            wf = wf.task(name, { dependsOn, priority: p }, () => name);
          const specs = wf.toTaskSpecs();
          const index = new Map(specs.map((s) => [s.name, s.topoIndex]));
          expect([...index.values()].sort((a, b) => a - b)).toEqual(specs.map((_, i) => i));
          for (const spec of specs) {
            expect(spec.priority).toBe(p);
            for (const dep of spec.dependsOn) expect(index.get(dep)!).toBeLessThan(spec.topoIndex);
          }
          expect(wf.plan()).toEqual(planLevels(ordered));
        },
      ),
    );
  });
});

/** Any directed graph without self-loops: cycles welcome. */
const graphArbitrary = fc.integer({ min: 1, max: 12 }).chain((size) => {
  const names = Array.from({ length: size }, (_, i) => `n${i}`);
  return fc
    .tuple(...names.map((name) => fc.subarray(names.filter((n) => n !== name))))
    .map((deps) => names.map((name, i): DagNode => ({ name, dependsOn: deps[i]! })));
});

describe('cycles in random graphs', () => {
  it('either a plan exists or the reported cycle is a real one', () => {
    fc.assert(
      fc.property(graphArbitrary, (nodes) => {
        const cycle = findCycle(nodes);
        if (cycle === undefined) {
          expect(planLevels(nodes).flat()).toHaveLength(nodes.length);
          return;
        }
        expect(cycle[0]).toBe(cycle.at(-1));
        expect(new Set(cycle.slice(1)).size).toBe(cycle.length - 1);
        const deps = new Map(nodes.map((n) => [n.name, n.dependsOn]));
        for (let i = 0; i + 1 < cycle.length; i++) expect(deps.get(cycle[i]!)).toContain(cycle[i + 1]);
        expect(() => planLevels(nodes)).toThrow(WorkflowDefinitionError);
      }),
    );
  });
});
