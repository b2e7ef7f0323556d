/**
 * The zod schemas of every request and response body: they validate input and they are the
 * OpenAPI document (`GET /openapi.json`), so the two cannot drift apart.
 */
import { z } from '@hono/zod-openapi';
import { EVENT_TYPE_PATTERN } from '../events/attribute-formats.js';
import { isRfc3339 } from '../events/index.js';
import { PRIORITIES, RUN_STATES, TASK_STATES } from '../store/index.js';

const nonEmpty = z.string().min(1, 'must not be empty');

export const IssueSchema = z
  .object({ path: z.string(), message: z.string() })
  .openapi('Issue', { example: { path: '[1].type', message: 'required' } });

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:waooaw:problem:invalid-event' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    issues: z.array(IssueSchema).optional(),
  })
  .openapi('Problem');

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

export const CloudEventSchema = z
  .looseObject({
    specversion: z.literal('1.0'),
    id: nonEmpty,
    source: nonEmpty,
    type: z.string().regex(EVENT_TYPE_PATTERN).openapi({ example: 'orders.created' }),
    time: z.string().optional(),
    subject: z.string().optional(),
    datacontenttype: z.string().optional(),
    dataschema: z.string().optional(),
    data: z.unknown().optional(),
    data_base64: z.string().optional(),
    traceparent: z.string().optional(),
    tracestate: z.string().optional(),
    correlationid: z.string().optional(),
    causationid: z.string().optional(),
  })
  .openapi('CloudEvent', {
    description: 'A CloudEvents 1.0 event in its JSON form; extensions at the top level.',
  });

export const PublishResultSchema = z
  .object({
    accepted: z.number().int(),
    events: z.array(
      z.object({
        id: z.string(),
        seq: z.string(),
        duplicate: z
          .literal(true)
          .optional()
          .openapi({ description: 'Already published (same source and id): not logged or delivered again' }),
      }),
    ),
    deliveries: z
      .number()
      .int()
      .openapi({ description: 'Deliveries enqueued, one per matching subscription' }),
  })
  .openapi('PublishResult');

// ---------------------------------------------------------------------------------------------
// Subscriptions
// ---------------------------------------------------------------------------------------------

const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), 'must be an absolute http(s) URL');

export const NewTargetSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('http'), url: httpUrl }),
    z.strictObject({ kind: z.literal('workflow'), workflow: nonEmpty }),
    z.strictObject({ kind: z.literal('task'), task: nonEmpty }),
  ],
  { error: "kind must be 'http', 'workflow' or 'task'" },
);

export const NewSubscriptionSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'letters, digits, _ . : - (at most 128)')
      .optional(),
    pattern: nonEmpty.openapi({ example: 'orders.#', description: '`*` one segment, `#` or `**` any' }),
    target: NewTargetSchema,
    maxAttempts: z.number().int().min(1).max(100).optional(),
    ordered: z.boolean().optional(),
  })
  .openapi('NewSubscription');

export const SubscriptionSchema = z
  .object({
    id: z.string(),
    pattern: z.string(),
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('http'), url: z.string() }),
      z.object({ kind: z.literal('workflow'), workflow: z.string() }),
      z.object({ kind: z.literal('task'), task: z.string() }),
      z.object({ kind: z.literal('handler'), name: z.string() }),
    ]),
    maxAttempts: z.number().int(),
    createdAt: z.number().int(),
    ordered: z.boolean().optional(),
  })
  .openapi('Subscription');

export const IdParamSchema = z.object({
  id: nonEmpty.openapi({ param: { name: 'id', in: 'path' } }),
});

// ---------------------------------------------------------------------------------------------
// Invocations (what the transport delivers to POST /invoke)
// ---------------------------------------------------------------------------------------------

const attempt = z.number().int().min(1);

export const TaskInvocationSchema = z.strictObject({
  kind: z.literal('task'),
  runId: nonEmpty,
  workflow: nonEmpty,
  task: nonEmpty,
  attempt,
  phase: z.enum(['execute', 'compensate']),
  traceparent: z.string().optional(),
  tracestate: z.string().optional(),
  enqueuedAt: z.number().optional(),
});

export const DeliveryInvocationSchema = z.strictObject({
  kind: z.literal('delivery'),
  subscriptionId: nonEmpty,
  event: z.looseObject({ id: nonEmpty, type: nonEmpty, source: nonEmpty, specversion: nonEmpty }),
  attempt,
  publishedAt: z.number(),
  replayId: z.string().optional(),
  traceparent: z.string().optional(),
  tracestate: z.string().optional(),
});

export const InvocationSchema = z
  .discriminatedUnion('kind', [TaskInvocationSchema, DeliveryInvocationSchema], {
    error: "kind must be 'task' or 'delivery'",
  })
  .openapi('Invocation');

export const InvokeAckSchema = z.object({ status: z.literal('ack') }).openapi('InvokeAck');

/** QStash's failure-callback body: the last response and our original request, base64-encoded. */
export const FailureCallbackSchema = z
  .looseObject({
    status: z.number().int(),
    header: z.record(z.string(), z.array(z.string())).optional(),
    body: z.string().optional().openapi({ description: 'The last response body, base64' }),
    retried: z.number().int().nonnegative().optional(),
    maxRetries: z.number().int().nonnegative().optional(),
    dlqId: z.string().optional(),
    sourceMessageId: z.string().optional(),
    url: z.string().optional(),
    sourceBody: z
      .base64({ error: (issue) => (issue.input === undefined ? 'required' : 'must be base64') })
      .openapi({ description: 'Our invocation, base64' }),
  })
  .openapi('FailureCallback');

// ---------------------------------------------------------------------------------------------
// Runs, DLQ, replay
// ---------------------------------------------------------------------------------------------

export const TaskViewSchema = z
  .object({
    name: z.string(),
    state: z.enum(TASK_STATES),
    attempt: z.number().int(),
    priority: z.enum(PRIORITIES),
    dependsOn: z.array(z.string()),
    result: z.unknown().optional(),
    error: z.string().optional(),
    startedAt: z.number().optional(),
    endedAt: z.number().optional(),
    workerId: z.string().optional(),
    nextAttemptAt: z
      .number()
      .optional()
      .openapi({ description: 'A retry waiting out its backoff starts at or after this epoch ms' }),
    compensation: z
      .object({ attempt: z.number().int(), leased: z.boolean() })
      .optional()
      .openapi({ description: 'Once the task is being (or was) compensated: its compensation attempt' }),
  })
  .openapi('TaskView');

export const RunViewSchema = z
  .object({
    runId: z.string(),
    workflow: z.string(),
    status: z.enum(RUN_STATES),
    input: z.unknown(),
    meta: z.record(z.string(), z.string()),
    createdAt: z.number(),
    endedAt: z.number().optional(),
    error: z.string().optional(),
    tasks: z.array(TaskViewSchema),
  })
  .openapi('RunView');

export const CancelResultSchema = z
  .object({ runId: z.string(), status: z.literal('cancelled') })
  .openapi('CancelResult');

const DLQ_KINDS = ['task', 'delivery', 'trigger'] as const;

export const DlqEntrySchema = z
  .object({
    id: z.string(),
    kind: z.enum(DLQ_KINDS),
    reason: z.string(),
    attempts: z.number().int(),
    lastError: z.string(),
    subscriptionId: z.string().optional(),
    runId: z.string().optional(),
    task: z.string().optional(),
    event: CloudEventSchema.optional(),
    createdAt: z.number(),
  })
  .openapi('DlqEntry');

export const DlqQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  subscription: z.string().min(1).optional(),
  kind: z.enum(DLQ_KINDS).optional(),
});

export const DlqReplayResultSchema = z
  .object({
    id: z.string(),
    kind: z.enum(DLQ_KINDS),
    runId: z.string().optional(),
    subscriptionId: z.string().optional(),
  })
  .openapi('DlqReplayResult');

const instant = z
  .union([
    z.number().int().nonnegative(),
    z
      .string()
      .refine(isRfc3339, 'must be an RFC 3339 timestamp or epoch milliseconds')
      // RFC 3339 allows a leap second (:60) that Date cannot read, and instants before 1970 that
      // the log (ordered by epoch ms) cannot hold.
      .refine(
        (t) => Date.parse(t) >= 0,
        'must be a time from 1970-01-01T00:00:00Z on, without a leap second',
      ),
  ])
  .openapi({ description: 'RFC 3339 timestamp or epoch milliseconds' });

export const ReplayRequestSchema = z
  .strictObject({
    from: instant.optional(),
    to: instant.optional(),
    types: z.array(z.string().regex(EVENT_TYPE_PATTERN, 'must be a dotted event type')).min(1).optional(),
    subscriptionId: nonEmpty.optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .openapi('ReplayRequest');

/** `GET /events`: read the log. `type` may repeat or hold a comma-separated list. */
export const EventLogQuerySchema = z.object({
  type: z
    .union([z.string(), z.array(z.string())])
    .transform((t) =>
      (Array.isArray(t) ? t : [t])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(EVENT_TYPE_PATTERN, 'must be a dotted event type')))
    .optional(),
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});

export const LoggedEventSchema = z
  .object({ seq: z.string(), receivedAt: z.number(), event: CloudEventSchema })
  .openapi('LoggedEvent');

export const ReplayResultSchema = z
  .object({ replayId: z.string(), events: z.number().int(), deliveries: z.number().int() })
  .openapi('ReplayResult');

export const HealthSchema = z.object({ status: z.literal('ok') }).openapi('Health');
export const ReadySchema = z.object({ status: z.literal('ready') }).openapi('Ready');
