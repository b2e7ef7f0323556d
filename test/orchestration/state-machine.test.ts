import { describe, expect, it } from 'vitest';
import {
  assertRunTransition,
  assertTaskTransition,
  canTransitionRun,
  canTransitionTask,
  IllegalTransitionError,
  RUN_STATES,
  RUN_TRANSITIONS,
  type RunState,
  TASK_STATES,
  TASK_TRANSITIONS,
  type TaskState,
  TERMINAL_RUN_STATES,
} from '../../src/orchestration/index.js';

/** The lifecycle written out edge by edge, independently of the table it checks. */
const EXPECTED_TASK_EDGES = [
  'pending -> queued',
  'pending -> skipped',
  'pending -> cancelled',
  'queued -> queued',
  'queued -> running',
  'queued -> skipped',
  'queued -> cancelled',
  'running -> completed',
  'running -> queued',
  'running -> failed',
  'running -> cancelled',
  'completed -> compensating',
  'compensating -> compensating',
  'compensating -> compensated',
  'compensating -> compensation_failed',
];
const EXPECTED_RUN_EDGES = [
  'running -> completed',
  'running -> failed',
  'running -> compensating',
  'running -> cancelled',
  'compensating -> compensated',
  'compensating -> failed',
];

function pairs<S extends string>(states: readonly S[]): [S, S][] {
  return states.flatMap((from) => states.map((to): [S, S] => [from, to]));
}

describe('task state machine', () => {
  const legal = new Set(EXPECTED_TASK_EDGES);

  it('lists exactly the expected transitions', () => {
    const table = Object.entries(TASK_TRANSITIONS).flatMap(([from, tos]) =>
      tos.map((to) => `${from} -> ${to}`),
    );
    expect(table.sort()).toEqual([...EXPECTED_TASK_EDGES].sort());
    expect(Object.keys(TASK_TRANSITIONS).sort()).toEqual([...TASK_STATES].sort());
  });

  it.each(pairs<TaskState>(TASK_STATES))('%s -> %s is allowed only if in the table', (from, to) => {
    const allowed = legal.has(`${from} -> ${to}`);
    expect(canTransitionTask(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertTaskTransition(from, to)).not.toThrow();
    } else {
      expect(() => assertTaskTransition(from, to)).toThrow(new IllegalTransitionError('task', from, to));
    }
  });

  it('ends in failed, skipped, cancelled, compensated and compensation_failed', () => {
    const terminal = TASK_STATES.filter((s) => TASK_TRANSITIONS[s].length === 0);
    expect(terminal).toEqual(['failed', 'skipped', 'cancelled', 'compensated', 'compensation_failed']);
  });
});

describe('run state machine', () => {
  const legal = new Set(EXPECTED_RUN_EDGES);

  it('lists exactly the expected transitions', () => {
    const table = Object.entries(RUN_TRANSITIONS).flatMap(([from, tos]) =>
      tos.map((to) => `${from} -> ${to}`),
    );
    expect(table.sort()).toEqual([...EXPECTED_RUN_EDGES].sort());
  });

  it.each(pairs<RunState>(RUN_STATES))('%s -> %s is allowed only if in the table', (from, to) => {
    const allowed = legal.has(`${from} -> ${to}`);
    expect(canTransitionRun(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => assertRunTransition(from, to)).not.toThrow();
    } else {
      const error = (() => {
        try {
          assertRunTransition(from, to);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(IllegalTransitionError);
      expect(error).toMatchObject({ name: 'IllegalTransitionError', machine: 'run', from, to });
    }
  });

  it('terminal run states are exactly those without an exit', () => {
    expect([...TERMINAL_RUN_STATES].sort()).toEqual(
      RUN_STATES.filter((s) => RUN_TRANSITIONS[s].length === 0).sort(),
    );
  });
});
