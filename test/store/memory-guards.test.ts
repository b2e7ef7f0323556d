import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory/index.js';
import { RunContext, type RunsState } from '../../src/store/memory/run-state.js';
import { IllegalTransitionError } from '../../src/store/model.js';
import { runId, runInput, T0, task } from '../contract/fixtures.js';

/** Reaches the memory store's guarded state for the one thing the public API cannot provoke. */
class InspectableStore extends MemoryStore {
  get internals(): RunsState {
    return this.state;
  }
}

describe('memory store guards', () => {
  it('refuses an illegal task or run transition with IllegalTransitionError', async () => {
    const store = new InspectableStore();
    const id = runId();
    await store.createRun(runInput(id, [task('a'), task('b', ['a'])]));
    const run = store.internals.runs.get(id)!;
    const ctx = new RunContext(store.internals, run, T0);
    expect(() => ctx.moveTask('b', 'running')).toThrow(IllegalTransitionError);
    expect(() => ctx.moveTask('a', 'compensated')).toThrow('illegal task transition queued -> compensated');
    expect(() => ctx.moveRun('compensated')).toThrow('illegal run transition running -> compensated');
    expect(() => ctx.task('ghost')).toThrow('unknown task ghost');
    expect((await store.getRun(id))?.tasks.map((t) => t.state)).toEqual(['queued', 'pending']);
  });

  it('ignores stale deadline entries and counts nothing twice', async () => {
    const store = new InspectableStore();
    const id = runId();
    await store.createRun(runInput(id, [task('a')]));
    store.internals.deadlines.set('ghost|x', { at: T0, runId: 'ghost', task: 'x' });
    const swept = await store.expireLeases({ now: T0 + 1, limit: 10, queuedTimeoutMs: 1000 });
    expect(swept).toEqual({ requeued: [], expired: [], ready: [], unannounced: [], unrecorded: [] });
    expect((await store.queueStats()).queued).toBe(1);
  });

  it('truncates the event log exactly at its cap', async () => {
    const store = new MemoryStore({ eventLogCap: 2 });
    await store.appendEvents(
      [1, 2, 3].map((n) => ({ id: `e${n}`, type: 't', source: 's', specversion: '1.0' })),
      T0,
    );
    expect((await store.readEvents({ limit: 10 })).map((e) => e.event.id)).toEqual(['e2', 'e3']);
  });
});
