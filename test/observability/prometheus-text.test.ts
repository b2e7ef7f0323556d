import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, defineWorkflow, NonRetriableError } from '../../src/index.js';
import { collectMetrics } from '../../src/observability/collect.js';
import { createMetrics, metricsEndpoint } from '../../src/observability/create-metrics.js';
import { MemoryMetrics } from '../../src/observability/memory-metrics.js';
import { LATENCY_BUCKETS, PROCESS_METRICS } from '../../src/observability/metric-names.js';
import { processMetrics } from '../../src/observability/process-metrics.js';
import { renderPrometheus } from '../../src/observability/prometheus.js';
import { bucketIndex, SeriesTable } from '../../src/observability/series.js';
import { MemoryStore } from '../../src/store/index.js';
import { run } from '../infra/tools.js';
import { type AppHandle, embedded, startApp } from '../integration/backends.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

/** `promtool check metrics` over the text; fails with its findings (and names the package if missing). */
function promtoolCheck(text: string): string {
  const result = run('promtool', ['check', 'metrics'], { input: text });
  expect(result.status, result.output).toBe(0);
  return result.output;
}

/** The value of one sample line (`name{labels} value`) in the text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus text exposition', () => {
  it('renders counters, gauges and cumulative histograms with escaped labels', () => {
    const text = renderPrometheus([
      {
        name: 'demo_total',
        help: 'A help line with a \\ and a\nnewline.',
        type: 'counter',
        samples: [{ labels: { path: 'a"b\\c\nd' }, value: 3 }],
      },
      { name: 'demo_gauge', help: 'g', type: 'gauge', samples: [{ labels: {}, value: Number.NaN }] },
      {
        name: 'demo_seconds',
        help: 'h',
        type: 'histogram',
        bounds: [0.1, 1],
        samples: [{ labels: { task: 't' }, counts: [2, 1, 1], sum: 4.5, count: 4 }],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP demo_total A help line with a \\\\ and a\\nnewline.',
        '# TYPE demo_total counter',
        'demo_total{path="a\\"b\\\\c\\nd"} 3',
        '# HELP demo_gauge g',
        '# TYPE demo_gauge gauge',
        'demo_gauge NaN',
        '# HELP demo_seconds h',
        '# TYPE demo_seconds histogram',
        'demo_seconds_bucket{task="t",le="0.1"} 2',
        'demo_seconds_bucket{task="t",le="1"} 3',
        'demo_seconds_bucket{task="t",le="+Inf"} 4',
        'demo_seconds_sum{task="t"} 4.5',
        'demo_seconds_count{task="t"} 4',
        '',
      ].join('\n'),
    );
  });

  it('puts an observation in the first bucket whose bound it does not exceed', () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.001)).toBe(0);
    expect(bucketIndex(0.0011)).toBe(1);
    expect(bucketIndex(30)).toBe(LATENCY_BUCKETS.length - 1);
    expect(bucketIndex(31)).toBe(LATENCY_BUCKETS.length);
  });

  it('keeps one series per declared label set, ignoring labels a metric does not declare', () => {
    const table = new SeriesTable();
    table.inc('runs', { workflow: 'w', status: 'completed', extra: 'x' }, 1);
    table.inc('runs', { status: 'completed', workflow: 'w' }, 2);
    table.observe('taskDuration', 0.2, { workflow: 'w', task: 't' });
    table.observe('taskDuration', 40, { workflow: 'w', task: 't' });
    const snapshot = table.snapshot();
    expect(snapshot.counters).toEqual([
      { name: 'waooaw_runs_total', labels: { workflow: 'w', status: 'completed' }, value: 3 },
    ]);
    const [h] = snapshot.histograms;
    expect(h).toMatchObject({ name: 'waooaw_task_duration_seconds', sum: 40.2, count: 2 });
    expect(h!.counts[bucketIndex(0.2)]).toBe(1);
    expect(h!.counts[LATENCY_BUCKETS.length]).toBe(1);
  });

  it('measures the process through the provider it is given', async () => {
    const families = await processMetrics(
      {
        cpuUsage: () => ({ user: 1_500_000, system: 500_000 }),
        memoryUsage: () => ({ rss: 1024, heapUsed: 512 }),
        uptime: () => 10,
      },
      { clock: () => 100_000, defer: (cb) => cb(), monotonic: () => 5 },
    )();
    expect(families.map((f) => f.name)).toEqual([...PROCESS_METRICS]);
    const value = (name: string) => {
      const family = families.find((f) => f.name === name);
      return family?.type === 'histogram' ? undefined : family?.samples[0]?.value;
    };
    expect(value('process_cpu_seconds_total')).toBe(2);
    expect(value('process_resident_memory_bytes')).toBe(1024);
    expect(value('process_start_time_seconds')).toBe(90);
    expect(value('nodejs_heap_used_bytes')).toBe(512);
    expect(value('nodejs_eventloop_lag_seconds')).toBe(0);
  });
});

const shop = defineWorkflow({ name: 'shop', triggers: [{ type: 'test.shop' }] })
  .task('reserve', async () => 'r')
  .task('charge', { dependsOn: ['reserve'] }, async (ctx) => {
    if ((ctx.input as { fail?: boolean }).fail) throw new NonRetriableError('declined');
    return 'c';
  });

describe('GET /metrics of an embedded app', () => {
  let handle: AppHandle | undefined;
  const ns = newPrefix();
  afterEach(async () => {
    await handle?.stop();
    await embedded.cleanup(ns);
  });

  it('exports what a run changed, the gauges and the process, and promtool accepts it', async () => {
    const metrics = createMetrics();
    expect(metrics).toBeInstanceOf(MemoryMetrics);
    const recorder = new EventRecorder();
    handle = await startApp(embedded, ns, [shop], [recorder.consumer()], { metrics, slots: 7 });
    await handle.app.publish(createEvent({ type: 'test.shop', source: '/test', data: {} }));
    await handle.app.publish(createEvent({ type: 'test.shop', source: '/test', data: { fail: true } }));
    await waitFor(
      () =>
        recorder.ofType('orchestration.workflow.completed').length === 1 &&
        recorder.ofType('orchestration.workflow.failed').length === 1,
      'both runs ended',
    );
    await waitFor(() => recorder.ofType('orchestration.alert').length === 1, 'the alert');

    const render = metricsEndpoint({
      metrics,
      store: handle.app.store,
      capacity: 1000,
      extra: processMetrics(process, { defer: setImmediate }),
    });
    const text = await render();
    promtoolCheck(text);
    expect(sample(text, 'waooaw_runs_total{workflow="shop",status="completed"}')).toBe(1);
    expect(sample(text, 'waooaw_runs_total{workflow="shop",status="failed"}')).toBe(1);
    expect(sample(text, 'waooaw_task_outcomes_total{workflow="shop",task="charge",outcome="failed"}')).toBe(
      1,
    );
    expect(sample(text, 'waooaw_task_duration_seconds_count{workflow="shop",task="reserve"}')).toBe(2);
    expect(
      sample(text, 'waooaw_task_duration_seconds_bucket{workflow="shop",task="reserve",le="+Inf"}'),
    ).toBe(2);
    expect(sample(text, 'waooaw_events_published_total{type="test.shop"}')).toBe(2);
    expect(sample(text, 'waooaw_dlq_entries_total{kind="task"}')).toBe(1);
    expect(sample(text, 'waooaw_dlq_size{subscription=""}')).toBe(1);
    expect(sample(text, 'waooaw_end_to_end_latency_seconds_count')).toBe(2);
    expect(sample(text, 'waooaw_queue_capacity')).toBe(1000);
    expect(sample(text, 'waooaw_invocation_slots')).toBe(7);
    expect(sample(text, 'waooaw_queue_depth{priority="NORMAL"}')).toBe(0);
    expect(sample(text, 'waooaw_tasks{state="running"}')).toBe(0);
    expect(sample(text, 'waooaw_invocations_in_flight')).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    await handle.stop();
    handle = undefined;
    // A stopped app withdraws its slots.
    expect(sample(await render(), 'waooaw_invocation_slots')).toBe(0);
  });

  it('exports every metric family even before anything happened, and promtool accepts that too', async () => {
    const text = renderPrometheus(
      await collectMetrics({
        metrics: new MemoryMetrics(),
        store: {
          queueStats: async () => ({
            pending: 0,
            queued: 3,
            running: 1,
            queuedByPriority: { CRITICAL: 1, HIGH: 2, NORMAL: 0, LOW: 0 },
          }),
          dlqSizes: async () => ({ billing: 2 }),
        },
      }),
    );
    promtoolCheck(text);
    expect(sample(text, 'waooaw_queue_depth{priority="HIGH"}')).toBe(2);
    expect(sample(text, 'waooaw_tasks{state="queued"}')).toBe(3);
    expect(sample(text, 'waooaw_invocations_in_flight')).toBe(1);
    expect(sample(text, 'waooaw_dlq_size{subscription="billing"}')).toBe(2);
    expect(sample(text, 'waooaw_delivery_latency_seconds_count')).toBeUndefined();
    expect(sample(text, 'waooaw_event_delivery_latency_seconds_count')).toBe(0);
    expect(text).toContain('# TYPE waooaw_runs_total counter');
    expect(sample(text, 'waooaw_queue_capacity')).toBeUndefined();
    // Counters that alerts take increase() of start at 0, so their first increment counts.
    for (const reason of ['refused', 'unreachable', 'backlog_full', 'stopped']) {
      expect(sample(text, `waooaw_events_lost_total{reason="${reason}"}`)).toBe(0);
    }
    expect(sample(text, 'waooaw_events_kept_total')).toBe(0);
    expect(sample(text, 'waooaw_dlq_entries_total{kind="task"}')).toBe(0);
    // Counters whose labels are open (workflows, types) appear with their first increment.
    expect(sample(text, 'waooaw_runs_total')).toBeUndefined();
  });

  it('keeps a counter that has counted next to the zeros of the others', async () => {
    const metrics = new MemoryMetrics();
    metrics.inc('eventsLost', { reason: 'stopped' }, 3);
    const idle = new MemoryStore();
    const text = renderPrometheus(await collectMetrics({ metrics, store: idle }));
    promtoolCheck(text);
    expect(sample(text, 'waooaw_events_lost_total{reason="stopped"}')).toBe(3);
    expect(sample(text, 'waooaw_events_lost_total{reason="refused"}')).toBe(0);
    expect(text.match(/waooaw_events_lost_total\{reason="stopped"\}/g)).toHaveLength(1);
  });
});
