/**
 * A real Prometheus (Debian package `prometheus`) scrapes two replicas' `/metrics` built by
 * `metricsEndpoint` over one Redis: a run's counters show up in `/api/v1/query`, and both replicas
 * report the same cluster-wide values (the dashboard's `max by` then counts them once).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createEvent, defineWorkflow, fromIoredis } from '../../src/index.js';
import { createMetrics, metricsEndpoint } from '../../src/observability/create-metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../src/observability/prometheus.js';
import { requireTool } from '../infra/tools.js';
import { type AppHandle, redis, startApp } from '../integration/backends.js';
import { EventRecorder } from '../support/event-recorder.js';
import { freePort } from '../support/net.js';
import { newPrefix, REDIS_URL } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Serves `render()` at GET /metrics on a free loopback port. */
async function serveMetrics(render: () => Promise<string>): Promise<number> {
  const server: Server = createHttpServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }).end(text),
      (error) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

async function startPrometheus(targets: number[]): Promise<string> {
  const binary = requireTool('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'waooaw-prom-scrape-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    global: { scrape_interval: '1s' },
    scrape_configs: [
      { job_name: 'waooaw', static_configs: [{ targets: targets.map((p) => `127.0.0.1:${p}`) }] },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  let log = '';
  const child: ChildProcess = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ]);
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok;
    },
    'prometheus ready',
    30_000,
  );
  return url;
}

async function query(base: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${expr} → ${body.error}`);
  return body.data!.result;
}

const scraped = defineWorkflow({ name: 'scraped', triggers: [{ type: 'test.scraped' }] })
  .task('fetch', async () => 'data')
  .task('store', { dependsOn: ['fetch'] }, async () => 'stored');

describe('a real Prometheus scraping two replicas on one Redis', () => {
  let handle: AppHandle | undefined;

  it('sees the counters a run changed, the same on both replicas', async () => {
    const prefix = newPrefix();
    cleanups.push(() => redis.cleanup(prefix));
    const adapters = [0, 1].map(() => fromIoredis(new Redis(REDIS_URL, { maxRetriesPerRequest: 3 })));
    cleanups.push(async () => {
      for (const a of adapters) await a.close();
    });
    // Replica 1 runs the app; replica 2 only serves /metrics from the same Redis prefix.
    const [one, two] = adapters.map((redisClient) =>
      createMetrics({ redis: redisClient, prefix, flushIntervalMs: 50 }),
    );
    const recorder = new EventRecorder();
    handle = await startApp(redis, prefix, [scraped], [recorder.consumer('orchestration.workflow.*')], {
      metrics: one,
      slots: 3,
    });
    cleanups.push(() => handle?.stop());
    const ports = [
      await serveMetrics(metricsEndpoint({ metrics: one!, store: handle.app.store, capacity: 500 })),
      await serveMetrics(metricsEndpoint({ metrics: two!, store: handle.parts.store, capacity: 500 })),
    ];
    const prometheus = await startPrometheus(ports);

    for (let i = 0; i < 3; i++) {
      await handle.app.publish(createEvent({ type: 'test.scraped', source: '/test', data: { i } }));
    }
    await waitFor(() => recorder.ofType('orchestration.workflow.completed').length === 3, 'three runs');

    const runs = 'waooaw_runs_total{workflow="scraped",status="completed"}';
    const samples = await waitFor(
      async () => {
        const result = await query(prometheus, runs);
        return result.length === 2 && result.every((s) => s.value[1] === '3') ? result : undefined;
      },
      `${runs} = 3 on both replicas`,
      30_000,
    );
    expect(new Set(samples.map((s) => s.metric.instance)).size).toBe(2);
    const [deduped] = await query(prometheus, `max by (workflow, status) (${runs})`);
    expect(deduped!.value[1]).toBe('3');
    const [outcomes] = await query(
      prometheus,
      'max by (task) (waooaw_task_outcomes_total{workflow="scraped",task="store",outcome="completed"})',
    );
    expect(outcomes!.value[1]).toBe('3');
    const [count] = await query(
      prometheus,
      'max(waooaw_task_duration_seconds_count{workflow="scraped",task="fetch"})',
    );
    expect(count!.value[1]).toBe('3');
    const slots = await query(prometheus, 'waooaw_invocation_slots');
    expect(slots.map((s) => s.value[1])).toEqual(['3', '3']);
    const up = await query(prometheus, 'up{job="waooaw"}');
    expect(up.map((s) => s.value[1])).toEqual(['1', '1']);
  });
});
