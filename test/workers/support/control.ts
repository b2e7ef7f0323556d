import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call a workflow step made. */
export interface StepCall {
  step: string;
  runId: string;
  attempt: number;
}

export interface StepAnswer {
  fail?: string;
  permanent?: boolean;
  value?: number;
}

/**
 * The workflows' side-effect sink: steps POST `/<scope>/<step>` and get told whether to fail;
 * HTTP subscribers POST CloudEvents to `/<scope>/events`. Each test takes its own scope.
 */
export async function startControl() {
  const calls = new Map<string, StepCall[]>();
  const events = new Map<string, Record<string, unknown>[]>();
  const plans = new Map<string, (call: StepCall, nth: number) => StepAnswer>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const [, scope = '', step = ''] = (req.url ?? '').split('/');
      if (step === 'events') {
        events.set(scope, [...(events.get(scope) ?? []), JSON.parse(body)]);
        res.writeHead(200).end('ok');
        return;
      }
      const { runId, attempt } = JSON.parse(body) as { runId: string; attempt: number };
      const call = { step, runId, attempt };
      const list = [...(calls.get(scope) ?? []), call];
      calls.set(scope, list);
      const nth = list.filter((c) => c.step === step).length;
      const answer = plans.get(`${scope}/${step}`)?.(call, nth) ?? {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    /** A fresh scope: its URL goes in the run input, its calls and events are its own. */
    scope() {
      const id = randomUUID();
      return {
        url: `${base}/${id}`,
        eventsUrl: `${base}/${id}/events`,
        calls: () => calls.get(id) ?? [],
        steps: () => (calls.get(id) ?? []).map((c) => c.step),
        events: () => events.get(id) ?? [],
        plan: (step: string, answer: (call: StepCall, nth: number) => StepAnswer) =>
          plans.set(`${id}/${step}`, answer),
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Control = Awaited<ReturnType<typeof startControl>>;
export type Scope = ReturnType<Control['scope']>;
