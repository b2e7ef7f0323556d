/** GET /runs/:id and POST /runs/:id/cancel, and the whole flow from POST /events to a completed run. */
import { afterEach, describe, expect, it } from 'vitest';
import { EventRecorder } from '../support/event-recorder.js';
import { waitFor } from '../support/wait.js';
import { CapturingTransport } from './capturing-transport.js';
import { bearer, type Harness, postJson, startHarness } from './harness.js';
import { WORKFLOWS } from './workflows.js';

let h: Harness;
afterEach(() => h.close());

describe('a trigger published over HTTP runs to completion', () => {
  it('POST /events -> workflow.completed -> GET /runs/:id says completed', async () => {
    const recorder = new EventRecorder();
    h = await startHarness({ workflows: WORKFLOWS, consumers: [recorder.consumer()] });
    await h.listen();
    const trigger = {
      specversion: '1.0',
      id: 'trig-1',
      source: '/signup',
      type: 'test.greet.requested',
      data: { name: 'bo' },
    };
    const res = await h.call('/events', {
      method: 'POST',
      body: JSON.stringify(trigger),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(res.status).toBe(202);

    const done = await waitFor(
      () => recorder.ofType('orchestration.workflow.completed')[0],
      'workflow.completed',
    );
    const runId = (done.data as { run_id: string }).run_id;
    const run = await waitFor(async () => {
      const view = await (await h.call(`/runs/${encodeURIComponent(runId)}`)).json();
      return view.status === 'completed' ? view : undefined;
    }, 'GET /runs/:id to say completed');
    expect(run).toMatchObject({ runId, workflow: 'greet', input: { name: 'bo' } });
    expect(run.tasks).toMatchObject([
      { name: 'hello', state: 'completed', result: 'hello bo' },
      { name: 'shout', state: 'completed', result: 'HELLO BO', dependsOn: ['hello'] },
    ]);

    const cancel = await h.call(`/runs/${runId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    expect(await cancel.json()).toMatchObject({ type: 'urn:waooaw:problem:conflict' });
  });
});

describe('runs', () => {
  it('answers 404 for a run that does not exist', async () => {
    h = await startHarness({ workflows: WORKFLOWS });
    const get = await h.http.request('/runs/run_missing', { headers: bearer() });
    expect(get.status).toBe(404);
    expect(get.headers.get('content-type')).toContain('application/problem+json');
    expect((await h.http.request('/runs/run_missing/cancel', postJson({}))).status).toBe(404);
  });

  it('cancels a running run once, then answers 409', async () => {
    const transport = new CapturingTransport();
    h = await startHarness({ workflows: WORKFLOWS, transport });
    const { runId } = await h.app.orchestrator.startRun({ workflow: 'greet', input: { name: 'x' } });

    const bad = await h.http.request(`/runs/${runId}/cancel`, postJson({ reason: 5 }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).issues[0].path).toBe('reason');
    expect((await h.app.orchestrator.getRun(runId))?.status).toBe('running');

    const res = await h.http.request(`/runs/${runId}/cancel`, postJson({ reason: 'operator' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ runId, status: 'cancelled' });
    const view = await (await h.http.request(`/runs/${runId}`, { headers: bearer() })).json();
    expect(view.status).toBe('cancelled');

    const again = await h.http.request(`/runs/${runId}/cancel`, { method: 'POST', headers: bearer() });
    expect(again.status).toBe(409);
  });
});
