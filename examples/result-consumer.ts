/**
 * A consumer reacting to result events: it subscribes to `orchestration.workflow.*` and keeps a
 * small report of finished runs (a real one would notify a team, update a dashboard, start the next
 * process...). It is an in-process subscription; an HTTP subscriber would get the same events, signed.
 */
import type { HandlerSubscription } from '../src/index.js';
import { pushBounded } from './bounded.js';

export interface RunReport {
  runId: string;
  workflow: string;
  status: string;
  durationMs: number;
}

/** The most recent entries (at most 1,000: the examples may serve for a long time). */
export const finishedRuns: RunReport[] = [];

export const runReporter: HandlerSubscription = {
  id: 'examples.run-reporter',
  pattern: 'orchestration.workflow.*',
  handler: async (event) => {
    const data = event.data as { run_id: string; workflow: string; status: string; duration_ms: number };
    pushBounded(finishedRuns, {
      runId: data.run_id,
      workflow: data.workflow,
      status: data.status,
      durationMs: data.duration_ms,
    });
  },
};
