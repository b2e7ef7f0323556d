/**
 * Every Prometheus metric waooaw exports, named once. A counter's `zeros` are the series it
 * exports at 0 before their first increment, so that `increase()` sees the first one (an alert on
 * a counter that appears already at 1 would never fire). The dashboard, the alert rules and the
 * runbook refer to these names; a test checks that each one they use is exported.
 *
 * Conventions: base units (`_seconds`, `_bytes`), counters end in `_total`.
 */
export const METRICS = {
  // Event bus
  eventsPublished: {
    name: 'waooaw_events_published_total',
    type: 'counter',
    help: 'Events accepted by the bus, by event type.',
    labels: ['type'],
  },
  eventsDelivered: {
    name: 'waooaw_events_delivered_total',
    type: 'counter',
    help: 'Successful deliveries to subscribers, by event type and subscription.',
    labels: ['type', 'subscription'],
  },
  eventsDeliveryFailed: {
    name: 'waooaw_events_delivery_failed_total',
    type: 'counter',
    help: 'Failed delivery attempts, by event type and subscription.',
    labels: ['type', 'subscription'],
  },
  deliveryLatency: {
    name: 'waooaw_event_delivery_latency_seconds',
    type: 'histogram',
    help: 'Time from publish to successful delivery.',
    labels: [],
  },
  eventsKept: {
    name: 'waooaw_events_kept_total',
    type: 'counter',
    help: 'Lifecycle events Redis did not take (no answer), kept in memory to publish again.',
    labels: [],
    zeros: [{}],
  },
  eventsLost: {
    name: 'waooaw_events_lost_total',
    type: 'counter',
    help:
      'Lifecycle events never published, by reason: refused (Redis answered an error), unreachable ' +
      '(no answer and nowhere to keep them), backlog_full, stopped (still kept when the process stopped).',
    labels: ['reason'],
    zeros: [
      { reason: 'refused' },
      { reason: 'unreachable' },
      { reason: 'backlog_full' },
      { reason: 'stopped' },
    ],
  },
  dlqSize: {
    name: 'waooaw_dlq_size',
    type: 'gauge',
    help: 'Entries in the dead-letter queue, by subscription ("" for task and trigger entries).',
    labels: ['subscription'],
  },
  dlqEntries: {
    name: 'waooaw_dlq_entries_total',
    type: 'counter',
    help: 'Entries ever added to the dead-letter queue, by kind (task, delivery, trigger).',
    labels: ['kind'],
    zeros: [{ kind: 'task' }, { kind: 'delivery' }, { kind: 'trigger' }],
  },

  // Orchestration
  queueDepth: {
    name: 'waooaw_queue_depth',
    type: 'gauge',
    help: 'Tasks queued and waiting for an invocation slot, by priority.',
    labels: ['priority'],
  },
  queueCapacity: {
    name: 'waooaw_queue_capacity',
    type: 'gauge',
    help: 'Configured queue capacity (TASK_QUEUE_MAX_SIZE), for the queue-depth alert.',
    labels: [],
  },
  tasks: {
    name: 'waooaw_tasks',
    type: 'gauge',
    help: 'Tasks by state (pending, queued, running), cluster-wide.',
    labels: ['state'],
  },
  invocationsInFlight: {
    name: 'waooaw_invocations_in_flight',
    type: 'gauge',
    help: 'Invocations running now in this cluster.',
    labels: [],
  },
  invocationSlots: {
    name: 'waooaw_invocation_slots',
    type: 'gauge',
    help: 'Invocation slots available (sum of WORKER_POOL_SIZE over live dispatchers).',
    labels: [],
  },
  taskDuration: {
    name: 'waooaw_task_duration_seconds',
    type: 'histogram',
    help: 'Duration of task attempts, by workflow and task.',
    labels: ['workflow', 'task'],
  },
  taskOutcomes: {
    name: 'waooaw_task_outcomes_total',
    type: 'counter',
    help: 'Task attempts by outcome (completed, failed, retried).',
    labels: ['workflow', 'task', 'outcome'],
  },
  taskRetries: {
    name: 'waooaw_task_retries_total',
    type: 'counter',
    help: 'Task attempts scheduled for retry.',
    labels: ['workflow', 'task'],
  },
  runs: {
    name: 'waooaw_runs_total',
    type: 'counter',
    help: 'Workflow runs ended, by workflow and final status.',
    labels: ['workflow', 'status'],
  },

  // Integration (bridge)
  eventToTaskLatency: {
    name: 'waooaw_event_to_task_latency_seconds',
    type: 'histogram',
    help: 'Time from the trigger event to the start of its first task.',
    labels: [],
  },
  taskToEventLatency: {
    name: 'waooaw_task_to_event_latency_seconds',
    type: 'histogram',
    help: 'Time from a task ending to its result event being published.',
    labels: [],
  },
  endToEndLatency: {
    name: 'waooaw_end_to_end_latency_seconds',
    type: 'histogram',
    help: 'Time from the trigger event to the run end event.',
    labels: [],
  },
} as const;

export type MetricKey = keyof typeof METRICS;

/** Histogram buckets in seconds, shared by every latency histogram. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Process metrics exported on Node (names as the Prometheus client libraries use them). */
export const PROCESS_METRICS = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'nodejs_heap_used_bytes',
  'nodejs_eventloop_lag_seconds',
] as const;
