import type { CloudEvent } from '../events/index.js';
import {
  type AnyWorkflow,
  InvalidInputError,
  type StartRunInput,
  type WorkflowRegistry,
} from '../orchestration/index.js';
import { taskTriggerSchema, workflowStartSchema } from './event-schemas.js';

export const TASK_TRIGGER = 'orchestration.task.trigger';
export const WORKFLOW_START = 'orchestration.workflow.start';

export interface MapContext {
  /** Set when the event arrived through a workflow's declared trigger subscription. */
  workflow?: string;
  /** Set for a replay, which starts a fresh run instead of finding the old one. */
  replayId?: string;
  /** When the bus accepted the event (epoch ms): the start of the end-to-end latency. */
  publishedAt?: number;
}

/** Thrown for an event that cannot become a run: unknown name or bad payload. */
export class TriggerRejectedError extends Error {
  override readonly name = 'TriggerRejectedError';
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * EventToTaskMapper: turns a trigger event into the run it starts. The generic
 * `orchestration.task.trigger` / `orchestration.workflow.start` events name a registered task or
 * workflow; a workflow's own declared triggers map their event's data to its input. No code
 * travels in events. The event's source and id (or the payload's `idempotency_key`) become the
 * run's idempotency key, so a duplicate trigger starts one run, never two.
 */
/**
 * The idempotency key of the run an event starts when its payload names none. CloudEvents ids are
 * unique per source only: two sources' event 42 start two runs.
 */
export function triggerKey(event: { source: string; id: string }): string {
  return JSON.stringify([event.source, event.id]);
}

export class EventToTaskMapper {
  constructor(private readonly registry: WorkflowRegistry) {}

  map(event: CloudEvent, via: MapContext = {}): StartRunInput {
    const request = via.workflow ? this.declared(event, via.workflow) : this.generic(event);
    const key = request.idempotencyKey ?? triggerKey(event);
    const meta = metaOf(event);
    if (via.publishedAt !== undefined) meta.trigger_published_at = String(via.publishedAt);
    if (via.replayId) meta.replay_id = via.replayId;
    return { ...request, idempotencyKey: via.replayId ? `${key}:replay:${via.replayId}` : key, meta };
  }

  private generic(event: CloudEvent): StartRunInput {
    if (event.type === TASK_TRIGGER) {
      const data = parse(taskTriggerSchema, event.data);
      const workflow = this.registry.getTask(data.task_name);
      if (!workflow) throw new TriggerRejectedError(`unknown task '${data.task_name}'`);
      return withOptional({ workflow: workflow.name, input: data.args }, data.priority, data.idempotency_key);
    }
    if (event.type === WORKFLOW_START) {
      const data = parse(workflowStartSchema, event.data);
      if (!this.registry.get(data.workflow))
        throw new TriggerRejectedError(`unknown workflow '${data.workflow}'`);
      return withOptional(
        { workflow: data.workflow, input: data.input },
        data.priority,
        data.idempotency_key,
      );
    }
    throw new TriggerRejectedError(`event type '${event.type}' starts no workflow`);
  }

  private declared(event: CloudEvent, workflowName: string): StartRunInput {
    const workflow: AnyWorkflow | undefined = this.registry.get(workflowName);
    if (!workflow) throw new TriggerRejectedError(`unknown workflow '${workflowName}'`);
    try {
      // A declared trigger maps the data; a plain subscription to the workflow passes `data` as the input.
      const mapped = workflow.fromEvent(event) ?? { input: workflow.parseInput(event.data) };
      return { workflow: workflow.name, input: mapped.input };
    } catch (error) {
      if (error instanceof InvalidInputError) throw new TriggerRejectedError(error.message);
      throw error;
    }
  }

  /** The ordering key a declared trigger computes for an event (undefined when it declares none). */
  orderingKey(event: CloudEvent, workflowName: string): string | undefined {
    try {
      return this.registry.get(workflowName)?.fromEvent(event)?.orderingKey;
    } catch {
      return undefined;
    }
  }
}

function parse<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  data: unknown,
): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: ['data', ...i.path].join('.'),
    message: i.message,
  }));
  throw new TriggerRejectedError(
    `bad payload: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

function withOptional(
  base: StartRunInput,
  priority: StartRunInput['priority'] | undefined,
  idempotencyKey: string | undefined,
): StartRunInput {
  return { ...base, ...(priority ? { priority } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) };
}

/** The context a run keeps from its trigger: one trace and one correlation id from first event to last. */
function metaOf(event: CloudEvent): Record<string, string> {
  const meta: Record<string, string> = {
    trigger_event_id: event.id,
    trigger_event_type: event.type,
    correlationid: typeof event.correlationid === 'string' ? event.correlationid : event.id,
  };
  if (typeof event.traceparent === 'string') meta.traceparent = event.traceparent;
  if (typeof event.tracestate === 'string') meta.tracestate = event.tracestate;
  if (typeof event.time === 'string') meta.trigger_time = event.time;
  return meta;
}
