/**
 * The Node entry as a user runs it: `tsx functions/node.ts` in its own process, driven over real
 * HTTP — the README's example commands included, run as written.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redis } from '../integration/backends.js';
import { freePort } from '../support/net.js';
import { newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const ENTRY = new URL('../../functions/node.ts', import.meta.url).pathname;
const README = new URL('../../README.md', import.meta.url).pathname;

interface Served {
  child: ChildProcess;
  url: string;
  output: string[];
}

async function serve(env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  await waitFor(() => output.join('').includes('waooaw listening'), 'the server to listen', 30_000);
  return { child, url: `http://127.0.0.1:${port}`, output };
}

/** The shell commands of the README block marked `<!-- readme-example: name -->`. */
function readmeCommands(name: string): string[] {
  const text = readFileSync(README, 'utf8');
  const block = text.split(`<!-- readme-example: ${name} -->`)[1]!.split('```sh')[1]!.split('```')[0]!;
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('curl '));
}

describe('the Node entry (npm start)', () => {
  let served: Served | undefined;
  let ns = '';

  afterEach(async () => {
    if (served && served.child.exitCode === null) {
      served.child.kill('SIGKILL');
    }
    served = undefined;
    if (ns) await redis.cleanup(ns);
    ns = '';
  });

  it('serves the bundled examples embedded, and the README example works as written', async () => {
    served = await serve({});
    expect(served.output.join('')).toContain('"mode":"embedded');
    const [publish, read] = readmeCommands('trial').map((c) =>
      c.replaceAll('http://127.0.0.1:8787', served!.url),
    );
    const published = JSON.parse((await run('sh', ['-c', publish!])).stdout);
    expect(published).toMatchObject({ accepted: 1, deliveries: 1, events: [{ id: 'readme-trial-1' }] });
    const completed = await waitFor(async () => {
      const out = JSON.parse((await run('sh', ['-c', read!])).stdout) as {
        event: { causationid: string; data: { run_id: string; status: string } };
      }[];
      return out.find((l) => l.event.causationid === 'readme-trial-1');
    }, 'the completion event');
    expect(completed.event.data.status).toBe('completed');
    const runView = await (await fetch(`${served.url}/runs/${completed.event.data.run_id}`)).json();
    expect(runView).toMatchObject({ workflow: 'trial-provisioning', status: 'completed' });
    expect(runView.tasks.map((t: { state: string }) => t.state)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    expect(metrics).toMatch(/waooaw_runs_total\{workflow="trial-provisioning",status="completed"\} 1/);
  });

  it("serves a user's own app module named by WAOOAW_APP", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'waooaw-app-'));
    const src = new URL('../../src/index.ts', import.meta.url).pathname;
    await writeFile(
      join(dir, 'my-app.ts'),
      [
        `import { defineWorkflow } from ${JSON.stringify(src)};`,
        "export const workflows = [defineWorkflow({ name: 'greet', triggers: [{ type: 'user.greet' }] })",
        "  .task('hello', async (ctx) => 'hello ' + (ctx.input as { name: string }).name)];",
        '',
      ].join('\n'),
    );
    try {
      served = await serve({ WAOOAW_APP: join(dir, 'my-app.ts') });
      expect(served.output.join('')).toContain('"workflows":["greet"]');
      const res = await fetch(`${served.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({
          specversion: '1.0',
          id: 'g1',
          source: '/t',
          type: 'user.greet',
          data: { name: 'Ada' },
        }),
      });
      expect(res.status).toBe(202);
      const done = await waitFor(async () => {
        const out = (await (
          await fetch(`${served!.url}/events?type=orchestration.workflow.completed`)
        ).json()) as {
          event: { data: { results: { hello: string } } };
        }[];
        return out[0];
      }, 'the greeting');
      expect(done.event.data.results.hello).toBe('hello Ada');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on Redis it needs a token, serves with it, rides out dropped connections, and drains on SIGTERM', async () => {
    ns = newPrefix();
    const refused = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      env: {
        ...process.env,
        PORT: String(await freePort()),
        REDIS_URL: 'redis://127.0.0.1:6379',
        WAOOAW_PREFIX: ns,
        WAOOAW_TOKEN: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const code = await new Promise<number | null>((r) => refused.on('exit', r));
    expect(code).toBe(1);

    const token = 'entry-test-token-0123456789';
    served = await serve({ REDIS_URL: 'redis://127.0.0.1:6379', WAOOAW_PREFIX: ns, WAOOAW_TOKEN: token });
    expect(served.output.join('')).toContain('"mode":"redis (redis://127.0.0.1:6379)"');
    const event = {
      specversion: '1.0',
      id: `entry-${randomUUID()}`,
      source: '/test',
      type: 'pipeline.requested',
      data: { numbers: [1, 2, 3] },
    };
    const post = (auth?: string) =>
      fetch(`${served!.url}/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json',
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        },
        body: JSON.stringify(event),
      });
    expect((await post()).status).toBe(401);
    expect((await post(token)).status).toBe(202);
    const ended = await waitFor(async () => {
      const res = await fetch(`${served!.url}/events?type=orchestration.workflow.completed`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return (
        (await res.json()) as { event: { causationid: string; data: { results: { merge: unknown } } } }[]
      ).find((l) => l.event.causationid === event.id);
    }, 'the pipeline to complete');
    expect(ended.event.data.results.merge).toEqual({ sumOfSquares: 14, count: 3 });
    expect((await fetch(`${served.url}/ready`)).status).toBe(200);

    // Redis drops the process's connections (named waooaw:<role>:<pid>): it says so once, reconnects,
    // and serves on.
    const admin = new Redis(REDIS_URL);
    const list = (await admin.client('LIST')) as string;
    const mine = list
      .split('\n')
      .filter((l) => new RegExp(` name=waooaw:\\w+:${served!.child.pid} `).test(l));
    expect(mine.length).toBeGreaterThanOrEqual(3);
    for (const line of mine) await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
    admin.disconnect();
    const second = { ...event, id: `entry-${randomUUID()}` };
    await waitFor(() => served!.output.join('').includes('redis connection restored'), 'the reconnection');
    const again = await fetch(`${served.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${token}` },
      body: JSON.stringify(second),
    });
    expect(again.status).toBe(202);
    await waitFor(async () => {
      const res = await fetch(`${served!.url}/events?type=orchestration.workflow.completed`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { event: { causationid: string } }[]).some(
        (l) => l.event.causationid === second.id,
      );
    }, 'the second pipeline to complete');
    const logs = served.output.join('');
    expect(logs).toContain('"msg":"redis connection lost, reconnecting"');
    expect(logs).not.toContain('Unhandled error event');

    served.child.kill('SIGTERM');
    const exit = await new Promise<number | null>((r) => served!.child.on('exit', r));
    expect(exit).toBe(0);
    expect(served.output.join('')).toContain('"msg":"stopped","drained":true');
  });

  it('answers a request in flight at SIGTERM before it stops', async () => {
    served = await serve({});
    const { hostname, port } = new URL(served.url);
    const event = JSON.stringify({
      specversion: '1.0',
      id: 'in-flight-at-sigterm',
      source: '/test',
      type: 'test.drain',
    });
    // A slow producer: headers and half the body sent, then SIGTERM, then the rest.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port: Number(port),
          method: 'POST',
          path: '/events',
          headers: {
            'content-type': 'application/cloudevents+json',
            'content-length': Buffer.byteLength(event),
          },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(event.slice(0, 20));
      setTimeout(() => {
        served!.child.kill('SIGTERM');
        setTimeout(() => req.end(event.slice(20)), 300);
      }, 100);
    });
    const answered = await response;
    expect(answered.status).toBe(202);
    expect(answered.body).toContain('in-flight-at-sigterm');
    const exit = await new Promise<number | null>((r) => served!.child.on('exit', r));
    expect(exit).toBe(0);
    expect(served.output.join('')).toContain('"msg":"stopped","drained":true');
  });
});
