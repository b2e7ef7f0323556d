/**
 * A run's end is owed until the orchestrator's listener has it out; the orchestrator then clears
 * the mark, whatever the listener is (the bridge's publisher, or a user's own). A listener that
 * answers `false` (kept to publish later) leaves it owed: the sweeper calls again after the grace.
 * Real stores (memory and Redis), an in-process transport; the clock is the test's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  defineWorkflow,
  InProcessTransport,
  type LifecycleListener,
  Orchestrator,
  type RunEndedEvent,
  WorkflowRegistry,
} from '../../src/index.js';
import { RUN_END_GRACE_MS } from '../../src/store/index.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { BACKENDS, type Parts } from './backends.js';

const single = defineWorkflow({ name: 'announce-single' }).task('only', async () => 'done');

describe.each(BACKENDS)("a run's end owed to the listener ($name)", (backend) => {
  let ns = '';
  let parts: Parts | undefined;
  const transport = new InProcessTransport();

  afterEach(async () => {
    await transport.stop();
    await parts?.close();
    await backend.cleanup(ns);
  });

  async function runToEnd(answer: unknown) {
    ns = newPrefix();
    parts = backend.parts(ns);
    let now = Date.now();
    const ends: RunEndedEvent[] = [];
    const listener: LifecycleListener = {
      runChanged: async (e) => {
        if (e.status !== 'completed') return undefined;
        ends.push(e);
        return answer;
      },
    };
    const orchestrator = new Orchestrator({
      store: parts.store,
      transport,
      registry: new WorkflowRegistry([single]),
      workerId: 'w1',
      listener,
      clock: () => now,
    });
    await transport.start((invocation) =>
      invocation.kind === 'task' ? orchestrator.handleTask(invocation) : Promise.resolve({ status: 'ack' }),
    );
    const { runId } = await orchestrator.startRun({ workflow: 'announce-single' });
    await waitFor(() => ends.length === 1, 'the run to end');
    const later = async () => {
      now += RUN_END_GRACE_MS + 1;
      await orchestrator.sweep();
    };
    return { runId, ends, later };
  }

  it("clears the mark once a user's listener has the end", async () => {
    const { ends, later } = await runToEnd(undefined);
    await later();
    await later();
    expect(ends).toHaveLength(1);
  });

  it('keeps it owed while the listener answers false, and calls again after the grace period', async () => {
    const { runId, ends, later } = await runToEnd(false);
    await later();
    expect(ends.map((e) => [e.runId, e.recovered ?? false])).toEqual([
      [runId, false],
      [runId, true],
    ]);
    expect(ends[1]).toMatchObject({ status: 'completed', results: { only: 'done' } });
  });
});
