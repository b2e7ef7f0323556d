import { describe, expect, it } from 'vitest';
import {
  assertRunTransition,
  assertTaskTransition,
  canTransitionRun,
  canTransitionTask,
  IllegalTransitionError,
  RUN_STATES,
  RUN_TRANSITIONS,
  TASK_STATES,
  TASK_TRANSITIONS,
  TERMINAL_RUN_STATES,
} from '../../src/store/model.js';

describe('model transition tables', () => {
  it('lists every state and only known targets', () => {
    expect(Object.keys(TASK_TRANSITIONS).sort()).toEqual([...TASK_STATES].sort());
    expect(Object.keys(RUN_TRANSITIONS).sort()).toEqual([...RUN_STATES].sort());
    for (const targets of Object.values(TASK_TRANSITIONS))
      for (const t of targets) expect(TASK_STATES).toContain(t);
    for (const targets of Object.values(RUN_TRANSITIONS))
      for (const t of targets) expect(RUN_STATES).toContain(t);
  });

  it('terminal run states have no way out', () => {
    for (const s of TERMINAL_RUN_STATES) expect(RUN_TRANSITIONS[s]).toEqual([]);
  });

  it('allows the documented task life and refuses the rest', () => {
    expect(canTransitionTask('pending', 'queued')).toBe(true);
    expect(canTransitionTask('queued', 'queued')).toBe(true);
    expect(canTransitionTask('running', 'queued')).toBe(true);
    expect(canTransitionTask('completed', 'compensating')).toBe(true);
    expect(canTransitionTask('compensating', 'compensating')).toBe(true);
    expect(canTransitionTask('pending', 'running')).toBe(false);
    expect(canTransitionTask('completed', 'running')).toBe(false);
    expect(canTransitionTask('failed', 'queued')).toBe(false);
    expect(canTransitionTask('compensated', 'compensating')).toBe(false);
    expect(canTransitionRun('running', 'compensating')).toBe(true);
    expect(canTransitionRun('compensating', 'cancelled')).toBe(false);
    expect(canTransitionRun('completed', 'running')).toBe(false);
  });

  it('assert functions throw a named error carrying the transition', () => {
    expect(() => assertTaskTransition('queued', 'running')).not.toThrow();
    expect(() => assertRunTransition('running', 'completed')).not.toThrow();
    try {
      assertTaskTransition('skipped', 'running');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IllegalTransitionError);
      expect(error).toMatchObject({
        name: 'IllegalTransitionError',
        machine: 'task',
        from: 'skipped',
        to: 'running',
      });
    }
    expect(() => assertRunTransition('failed', 'running')).toThrow(
      'illegal run transition failed -> running',
    );
  });
});
