import { describe, expect, it } from 'vitest';
import { QStashTransport } from '../../src/transport/qstash/index.js';
import { waitFor } from '../support/wait.js';
import { useEdge } from './support/edge.js';

const edge = useEdge();

describe('Worker in workerd: when QStash gives up', () => {
  it('retries an invocation the app cannot run, then records the failure callback as a DLQ entry', async () => {
    // A message from another release of the app, naming a workflow this one does not have.
    const transport = new QStashTransport({
      qstash: { baseUrl: edge.qstash.url, token: edge.qstashToken },
      publicUrl: edge.url,
      retries: 1,
    });
    const runId = 'run_0123456789abcdef0123456789abcdef';
    await transport.enqueue([
      {
        invocation: { kind: 'task', runId, workflow: 'retired', task: 'gone', attempt: 1, phase: 'execute' },
      },
    ]);
    const [entry] = await waitFor(async () => {
      const entries = (await (await edge.api('/dlq')).json()) as { runId?: string }[];
      const mine = entries.filter((e) => e.runId === runId);
      return mine.length > 0 && mine;
    }, 'the DLQ entry from the failure callback');
    expect(entry).toMatchObject({
      kind: 'task',
      reason: 'transport gave up',
      task: 'gone',
      lastError: expect.stringContaining('HTTP 500'),
    });
    const { messages } = (await (
      await fetch(`${edge.qstash.url}/v2/dlq`, { headers: { authorization: `Bearer ${edge.qstashToken}` } })
    ).json()) as { messages: { responseStatus: number }[] };
    expect(messages.map((m) => m.responseStatus)).toEqual([500]);
  });
});
