/**
 * The waooaw Grafana dashboard: event bus, orchestration and the bridge between them, on one page.
 * `waooaw-dashboard.json` next to this file is generated from it:
 *   npx tsx infra/monitoring/grafana/build.ts
 * and test/infra/dashboard.test.ts checks that the two agree and that every query parses.
 *
 * waooaw keeps its state, and so its metrics, in Redis: every replica's /metrics reports the same
 * cluster-wide values. The queries take `max by (<the metric's own labels>)` across scrape targets
 * before any `sum`, so a Prometheus that scrapes each replica does not count the cluster twice.
 */
import { type Dashboard, DashboardCursorSync, VariableHide, VariableRefresh } from '@grafana/schema';
import { latencyQuantiles, layout, type Section } from './panels.js';

const eventBus: Section = {
  title: 'Event bus',
  panels: [
    {
      title: 'Events published / s by type',
      description: 'Events accepted by the bus (waooaw_events_published_total).',
      type: 'timeseries',
      unit: 'ops',
      width: 8,
      stacked: true,
      queries: [
        { expr: 'max by (type) (rate(waooaw_events_published_total[$__rate_interval]))', legend: '{{type}}' },
      ],
    },
    {
      title: 'Deliveries / s',
      description:
        'Successful and failed deliveries to subscribers. Failed attempts are retried, then dead-lettered.',
      type: 'timeseries',
      unit: 'ops',
      width: 8,
      queries: [
        {
          expr: 'sum(max by (type, subscription) (rate(waooaw_events_delivered_total[$__rate_interval])))',
          legend: 'delivered',
        },
        {
          expr: 'sum by (subscription) (max by (type, subscription) (rate(waooaw_events_delivery_failed_total[$__rate_interval])))',
          legend: 'failed: {{subscription}}',
        },
      ],
    },
    {
      title: 'Delivery latency p95',
      description: 'Time from publish to successful delivery, 95th percentile.',
      type: 'timeseries',
      unit: 's',
      width: 8,
      queries: [
        {
          expr: 'histogram_quantile(0.95, max by (le) (rate(waooaw_event_delivery_latency_seconds_bucket[$__rate_interval])))',
          legend: 'p95',
        },
      ],
    },
    {
      title: 'DLQ size by subscription',
      description:
        'Entries waiting in the dead-letter queue ("" holds task and trigger entries). Replay with POST /dlq/:id/replay.',
      type: 'timeseries',
      unit: 'short',
      width: 8,
      queries: [{ expr: 'max by (subscription) (waooaw_dlq_size)', legend: '{{subscription}}' }],
    },
    {
      title: 'DLQ entries added / min by kind',
      description: 'New dead-letter entries; the WaooawDlqGrowthAnomaly alert watches this rate.',
      type: 'timeseries',
      unit: 'short',
      width: 8,
      stacked: true,
      queries: [
        { expr: 'max by (kind) (rate(waooaw_dlq_entries_total[$__rate_interval])) * 60', legend: '{{kind}}' },
      ],
    },
    {
      title: 'Lifecycle events kept and lost / min',
      description:
        'Kept: Redis did not answer, the events wait in memory to be published again. Lost: never published, by reason; the WaooawLifecycleEventsLost alert fires on any.',
      type: 'timeseries',
      unit: 'short',
      width: 8,
      queries: [
        { expr: 'max(rate(waooaw_events_kept_total[$__rate_interval])) * 60', legend: 'kept' },
        {
          expr: 'max by (reason) (rate(waooaw_events_lost_total[$__rate_interval])) * 60',
          legend: 'lost: {{reason}}',
        },
      ],
    },
  ],
};

const orchestration: Section = {
  title: 'Orchestration',
  panels: [
    {
      title: 'Queue depth by priority',
      description: 'Tasks queued and waiting for an invocation slot, against TASK_QUEUE_MAX_SIZE.',
      type: 'timeseries',
      unit: 'short',
      width: 8,
      stacked: true,
      queries: [
        { expr: 'max by (priority) (waooaw_queue_depth)', legend: '{{priority}}' },
        { expr: 'max(waooaw_queue_capacity)', legend: 'capacity' },
      ],
    },
    {
      title: 'Queue fill',
      description: 'Queued tasks as a share of capacity. WaooawQueueNearCapacity fires above 80%.',
      type: 'gauge',
      unit: 'percentunit',
      width: 4,
      max: 1,
      redAt: 0.8,
      queries: [{ expr: 'sum(max by (priority) (waooaw_queue_depth)) / max(waooaw_queue_capacity)' }],
    },
    {
      title: 'Active invocations',
      description: 'Invocations running now (in flight) out of the available slots.',
      type: 'stat',
      unit: 'short',
      width: 4,
      queries: [
        { expr: 'max(waooaw_invocations_in_flight)', legend: 'in flight' },
        { expr: 'max(waooaw_invocation_slots)', legend: 'slots' },
      ],
    },
    {
      title: 'Invocation slot utilisation',
      description: 'In-flight invocations / slots. WaooawInvocationSlotsSaturated fires above 90%.',
      type: 'timeseries',
      unit: 'percentunit',
      width: 8,
      redAt: 0.9,
      queries: [
        { expr: 'max(waooaw_invocations_in_flight) / max(waooaw_invocation_slots)', legend: 'utilisation' },
      ],
    },
    {
      title: 'Tasks by state',
      description: 'Pending (waiting on dependencies), queued and running tasks, cluster-wide.',
      type: 'timeseries',
      unit: 'short',
      width: 8,
      queries: [{ expr: 'max by (state) (waooaw_tasks)', legend: '{{state}}' }],
    },
    {
      title: 'Tasks completed / min by workflow',
      description: 'Task attempts that completed.',
      type: 'timeseries',
      unit: 'short',
      width: 8,
      stacked: true,
      queries: [
        {
          expr: 'sum by (workflow) (max by (workflow, task) (rate(waooaw_task_outcomes_total{outcome="completed"}[$__rate_interval]))) * 60',
          legend: '{{workflow}}',
        },
      ],
    },
    {
      title: 'Task failure rate',
      description:
        'Failed / (completed + failed) attempts; retried attempts are not counted. WaooawTaskFailureRateHigh fires above 5%.',
      type: 'timeseries',
      unit: 'percentunit',
      width: 8,
      redAt: 0.05,
      queries: [
        {
          expr: 'sum(max by (workflow, task) (rate(waooaw_task_outcomes_total{outcome="failed"}[$__rate_interval]))) / sum(max by (workflow, task, outcome) (rate(waooaw_task_outcomes_total{outcome=~"completed|failed"}[$__rate_interval])))',
          legend: 'failure rate',
        },
      ],
    },
    {
      title: 'Task duration p95 by workflow',
      description: 'Duration of task attempts, 95th percentile.',
      type: 'timeseries',
      unit: 's',
      width: 12,
      queries: [
        {
          expr: 'histogram_quantile(0.95, sum by (workflow, le) (max by (workflow, task, le) (rate(waooaw_task_duration_seconds_bucket[$__rate_interval]))))',
          legend: '{{workflow}}',
        },
      ],
    },
    {
      title: 'Retries / min and runs ended / min',
      description: 'Attempts scheduled for retry, and workflow runs ended by final status.',
      type: 'timeseries',
      unit: 'short',
      width: 12,
      queries: [
        {
          expr: 'sum(max by (workflow, task) (rate(waooaw_task_retries_total[$__rate_interval]))) * 60',
          legend: 'retries',
        },
        {
          expr: 'sum by (status) (max by (workflow, status) (rate(waooaw_runs_total[$__rate_interval]))) * 60',
          legend: 'runs {{status}}',
        },
      ],
    },
  ],
};

const integration: Section = {
  title: 'Integration (event ↔ task)',
  panels: [
    {
      title: 'Event → task latency',
      description:
        'Trigger event to the start of its first task. Target p95 < 100 ms; WaooawEventToTaskLatencyHigh fires when p95 > 1 s.',
      type: 'timeseries',
      unit: 's',
      width: 8,
      redAt: 1,
      queries: latencyQuantiles('waooaw_event_to_task_latency_seconds'),
    },
    {
      title: 'Task → event latency',
      description: 'Task end to its result event being published. Target p95 < 50 ms.',
      type: 'timeseries',
      unit: 's',
      width: 8,
      queries: latencyQuantiles('waooaw_task_to_event_latency_seconds'),
    },
    {
      title: 'End-to-end latency',
      description: 'Trigger event to the run end event. Target p95 < 500 ms.',
      type: 'timeseries',
      unit: 's',
      width: 8,
      queries: latencyQuantiles('waooaw_end_to_end_latency_seconds'),
    },
    {
      title: 'End-to-end latency distribution',
      description: 'Runs ended per latency bucket.',
      type: 'heatmap',
      unit: 's',
      width: 24,
      queries: [
        {
          expr: 'max by (le) (increase(waooaw_end_to_end_latency_seconds_bucket[$__rate_interval]))',
          legend: '{{le}}',
          format: 'heatmap',
        },
      ],
    },
  ],
};

export const dashboard: Dashboard = {
  uid: 'waooaw-overview',
  title: 'waooaw: event bus + orchestration',
  description:
    'Event bus, orchestration and the bridge between them. Metric names: src/observability/metric-names.ts.',
  tags: ['waooaw'],
  editable: true,
  graphTooltip: DashboardCursorSync.Crosshair,
  refresh: '30s',
  schemaVersion: 39,
  time: { from: 'now-3h', to: 'now' },
  timezone: 'browser',
  fiscalYearStartMonth: 0,
  liveNow: false,
  links: [],
  annotations: { list: [] },
  templating: {
    list: [
      {
        name: 'datasource',
        label: 'Prometheus',
        type: 'datasource',
        query: 'prometheus',
        refresh: VariableRefresh.onDashboardLoad,
        hide: VariableHide.dontHide,
        includeAll: false,
        multi: false,
        options: [],
      },
    ],
  },
  panels: layout([eventBus, orchestration, integration]),
};

/** The committed JSON file's content: stable key order, two-space indent, trailing newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
