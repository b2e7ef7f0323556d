/**
 * The data schemas of every `orchestration.*` event (payloads snake_case). Objects are loose:
 * listed fields are required, extra fields pass, so newer producers do not break older consumers.
 * Timestamps in payloads are RFC 3339 strings, like the envelope's `time`.
 */
import { z } from 'zod';
import { isRfc3339 } from '../events/attribute-formats.js';
import type { SchemaRegistry } from '../events/schema-registry.js';
import { PRIORITIES } from '../store/index.js';

export const ORCHESTRATION_NAMESPACE = 'orchestration';

const id = z.string().min(1, 'must not be empty');
const timestamp = z.string().refine(isRfc3339, 'must be an RFC 3339 timestamp');
const count = z.number().int().nonnegative();
const durationMs = z.number().nonnegative();
const attempt = z.number().int().min(1);
const priority = z.enum(PRIORITIES);
const json = z.json();

export const ALERT_SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;

export const taskTriggerSchema = z.looseObject({
  task_name: id,
  args: json.optional(),
  priority: priority.optional(),
  idempotency_key: id.optional(),
});

export const workflowStartSchema = z.looseObject({
  workflow: id,
  input: json.optional(),
  priority: priority.optional(),
  idempotency_key: id.optional(),
});

export const taskCreatedSchema = z.looseObject({
  task_id: id,
  run_id: id,
  name: id,
  priority,
  trigger_event_id: id,
});

export const taskStartedSchema = z.looseObject({
  task_id: id,
  run_id: id,
  name: id,
  attempt,
  worker_id: id,
  started_at: timestamp,
});

export const taskCompletedSchema = z.looseObject({
  task_id: id,
  run_id: id,
  name: id,
  /** Required; `null` for a task that returns nothing. */
  result: json,
  duration_ms: durationMs,
  worker_id: id,
  completed_at: timestamp,
});

export const taskFailedSchema = z.looseObject({
  task_id: id,
  run_id: id,
  name: id,
  error: z.string(),
  attempt,
  will_retry: z.boolean(),
  next_attempt_at: timestamp.optional(),
});

function workflowEnded<S extends 'completed' | 'failed' | 'compensated' | 'cancelled'>(status: S) {
  return z.looseObject({
    run_id: id,
    workflow: id,
    status: z.literal(status),
    duration_ms: durationMs,
    /** Task results by task name (completed runs). */
    results: z.record(z.string(), json).optional(),
    /** The failure that ended, compensated or cancelled the run. */
    error: z.string().optional(),
    failed_task: z.string().optional(),
  });
}

export const workflowCompletedSchema = workflowEnded('completed');
export const workflowFailedSchema = workflowEnded('failed');
export const workflowCompensatedSchema = workflowEnded('compensated');
export const workflowCancelledSchema = workflowEnded('cancelled');

export const metricsSnapshotSchema = z.looseObject({
  timestamp,
  task_queue: z.looseObject({ pending: count, running: count, completed: count, failed: count }),
  worker_pool: z.looseObject({
    active_workers: count,
    idle_workers: count,
    throughput_per_min: z.number().nonnegative(),
  }),
});

export const triggerRejectedSchema = z.looseObject({
  reason: z.string().min(1),
  event_id: id,
  event_type: z.string().min(1),
  issues: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
});

export const alertSchema = z.looseObject({
  severity: z.enum(ALERT_SEVERITIES),
  reason: z.string().min(1),
  run_id: id.optional(),
  task: z.string().optional(),
  message: z.string(),
});

/** Every orchestration event type and the schema of its data. */
export const ORCHESTRATION_EVENT_SCHEMAS = {
  'orchestration.task.trigger': taskTriggerSchema,
  'orchestration.workflow.start': workflowStartSchema,
  'orchestration.task.created': taskCreatedSchema,
  'orchestration.task.started': taskStartedSchema,
  'orchestration.task.completed': taskCompletedSchema,
  'orchestration.task.failed': taskFailedSchema,
  'orchestration.workflow.completed': workflowCompletedSchema,
  'orchestration.workflow.failed': workflowFailedSchema,
  'orchestration.workflow.compensated': workflowCompensatedSchema,
  'orchestration.workflow.cancelled': workflowCancelledSchema,
  'orchestration.metrics.snapshot': metricsSnapshotSchema,
  'orchestration.trigger.rejected': triggerRejectedSchema,
  'orchestration.alert': alertSchema,
} as const;

export type OrchestrationSchemas = typeof ORCHESTRATION_EVENT_SCHEMAS;
export type OrchestrationEventType = keyof OrchestrationSchemas;
/** The data of an orchestration event type: `OrchestrationEventData<'orchestration.task.failed'>`. */
export type OrchestrationEventData<T extends OrchestrationEventType> = z.output<OrchestrationSchemas[T]>;

export const ORCHESTRATION_EVENT_TYPES = Object.keys(ORCHESTRATION_EVENT_SCHEMAS) as OrchestrationEventType[];

/**
 * Registers every orchestration schema and makes `orchestration` a strict namespace.
 *
 * @example
 * const registry = registerOrchestrationSchemas(new SchemaRegistry());
 * registry.parseData('orchestration.task.trigger', { task_name: 'send-email' });
 */
export function registerOrchestrationSchemas<M extends Record<string, z.ZodType>>(
  registry: SchemaRegistry<M>,
): SchemaRegistry<M & OrchestrationSchemas> {
  const untyped = registry as unknown as SchemaRegistry;
  for (const type of ORCHESTRATION_EVENT_TYPES) untyped.register(type, ORCHESTRATION_EVENT_SCHEMAS[type]);
  untyped.strictNamespace(ORCHESTRATION_NAMESPACE);
  return registry as unknown as SchemaRegistry<M & OrchestrationSchemas>;
}
