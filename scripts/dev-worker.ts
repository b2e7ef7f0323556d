/**
 * `npm run dev:worker`: the edge build, locally, in one command. Starts the local Upstash REST
 * endpoint and the local QStash endpoint over a real Redis, then the Worker in workerd
 * (`wrangler dev`) with bindings pointing at both, prints the URLs and a curl to try, and stops
 * everything on Ctrl-C.
 *
 * Environment (all optional): REDIS_URL (redis://127.0.0.1:6379), UPSTASH_REST_PORT (8079),
 * QSTASH_DEV_PORT (8080), WORKER_PORT (8788), WAOOAW_TOKEN (a local default), WAOOAW_PREFIX
 * (waooaw-dev:), QSTASH_LOCAL_RETRY_BACKOFF_MS (QStash's redelivery delay, 2000).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { triggerKey } from '../src/bridge/event-to-task-mapper.js';
import { runIdFor } from '../src/orchestration/runtime/run-id.js';
import { DEV_CURRENT_SIGNING_KEY, DEV_NEXT_SIGNING_KEY, DEV_TOKEN } from '../tools/qstash-local/constants.js';
import { startQStashLocal } from '../tools/qstash-local/server.js';
import { startUpstashRest } from '../tools/upstash-rest/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const host = '127.0.0.1';
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const restPort = Number(env.UPSTASH_REST_PORT ?? 8079);
const qstashPort = Number(env.QSTASH_DEV_PORT ?? 8080);
const workerPort = Number(env.WORKER_PORT ?? 8788);
const restToken = 'local-dev-token';
const apiToken = env.WAOOAW_TOKEN ?? 'local-dev-token-0123456789';
const prefix = env.WAOOAW_PREFIX ?? 'waooaw-dev:';
const publicUrl = `http://${host}:${workerPort}`;

const cleanups: (() => Promise<void> | void)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  }
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function fail(message: string): Promise<never> {
  console.error(`dev:worker: ${message}`);
  return shutdown(1);
}

async function startTools() {
  const rest = await startUpstashRest({ redisUrl, port: restPort, token: restToken, host }).catch((error) =>
    fail(`cannot start the Upstash REST endpoint on ${host}:${restPort} (${String(error)})`),
  );
  cleanups.push(() => rest.close());
  const qstash = await startQStashLocal({
    redisUrl,
    port: qstashPort,
    host,
    prefix: `${prefix}qstash:`,
    retryBackoffMs: Number(env.QSTASH_LOCAL_RETRY_BACKOFF_MS ?? 2_000),
  }).catch((error) => fail(`cannot start the local QStash on ${host}:${qstashPort} (${String(error)})`));
  cleanups.push(() => qstash.close());
  return { rest, qstash };
}

function startWorker(bindings: Record<string, string>): ChildProcess {
  const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
  if (!existsSync(wrangler)) void fail('wrangler is not installed: run `npm ci` first');
  const vars = Object.entries(bindings).flatMap(([key, value]) => ['--var', `${key}:${value}`]);
  const child = spawn(
    wrangler,
    [
      'dev',
      '--ip',
      host,
      '--port',
      String(workerPort),
      '--test-scheduled',
      '--show-interactive-dev-session=false',
      ...vars,
    ],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
      detached: true,
    },
  );
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.pid === undefined) return resolve();
        child.once('exit', () => resolve());
        // wrangler runs workerd as its own child: signal the whole group it leads.
        process.kill(-child.pid, 'SIGTERM');
      }),
  );
  child.once('exit', (code) => {
    if (!stopping) void fail(`wrangler dev exited (${code ?? 'signal'})`);
  });
  return child;
}

async function waitForWorker(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${publicUrl}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await fail(`the Worker did not answer ${publicUrl}/health within 60 s`);
}

const { rest, qstash } = await startTools();
startWorker({
  UPSTASH_REDIS_REST_URL: rest.url,
  UPSTASH_REDIS_REST_TOKEN: restToken,
  QSTASH_URL: qstash.url,
  QSTASH_TOKEN: DEV_TOKEN,
  QSTASH_CURRENT_SIGNING_KEY: DEV_CURRENT_SIGNING_KEY,
  QSTASH_NEXT_SIGNING_KEY: DEV_NEXT_SIGNING_KEY,
  PUBLIC_URL: publicUrl,
  WAOOAW_TOKEN: apiToken,
  WAOOAW_PREFIX: prefix,
  LOG_LEVEL: env.LOG_LEVEL ?? 'info',
});
await waitForWorker();

const eventId = `try-${randomUUID().slice(0, 8)}`;
const runId = await runIdFor('trial-provisioning', triggerKey({ source: '/curl', id: eventId }));
const event = JSON.stringify({
  specversion: '1.0',
  id: eventId,
  source: '/curl',
  type: 'orchestration.workflow.start',
  data: { workflow: 'trial-provisioning', input: { email: 'ada@example.com', plan: 'pro' } },
});
console.log(`
waooaw Worker (workerd)   ${publicUrl}
Upstash REST (Redis)      ${rest.url}   -> ${redisUrl}
QStash (local)            ${qstash.url}

Try:
  curl -s -X POST ${publicUrl}/events \\
    -H 'authorization: Bearer ${apiToken}' -H 'content-type: application/cloudevents+json' \\
    -d '${event}'
  curl -s ${publicUrl}/runs/${runId} -H 'authorization: Bearer ${apiToken}'
  curl -s ${publicUrl}/__scheduled        # run the cron (sweeper + metrics snapshot) now

Ctrl-C stops all three.
`);
