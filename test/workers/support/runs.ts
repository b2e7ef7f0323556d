import { randomUUID } from 'node:crypto';
import { triggerKey } from '../../../src/bridge/event-to-task-mapper.js';
import { runIdFor } from '../../../src/orchestration/runtime/run-id.js';
import { waitFor } from '../../support/wait.js';
import type { Edge } from './edge.js';

export interface RunView {
  runId: string;
  workflow: string;
  status: string;
  tasks: { name: string; state: string; attempt: number; result?: unknown; error?: string }[];
}

const SOURCE = '/workers-test';

/** Publishes one CloudEvent through `POST /events` and returns its id. */
export async function publish(edge: Edge, type: string, data: unknown): Promise<string> {
  const id = `evt-${randomUUID()}`;
  const response = await edge.api('/events', {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ specversion: '1.0', id, source: SOURCE, type, data }),
  });
  if (response.status !== 202) throw new Error(`POST /events: ${response.status} ${await response.text()}`);
  return id;
}

/** Starts `workflow` through its trigger event; the run id follows from the event's source and id. */
export async function trigger(edge: Edge, workflow: string, type: string, data: unknown): Promise<string> {
  const id = await publish(edge, type, data);
  return runIdFor(workflow, triggerKey({ source: SOURCE, id }));
}

export async function getRun(edge: Edge, runId: string): Promise<RunView | undefined> {
  const response = await edge.api(`/runs/${runId}`);
  if (response.status === 404) return undefined;
  return (await response.json()) as RunView;
}

/** Waits for the run to reach one of `statuses` and returns it. */
export function waitForRun(edge: Edge, runId: string, statuses: string[]): Promise<RunView> {
  return waitFor(
    async () => {
      const run = await getRun(edge, runId);
      return run && statuses.includes(run.status) ? run : undefined;
    },
    `run ${runId} to be ${statuses.join(' or ')}`,
  );
}
