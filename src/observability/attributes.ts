/**
 * Every span name and span attribute waooaw sets, named once. Dashboards and trace queries refer to
 * these strings; `messaging.*` names follow the OpenTelemetry semantic conventions.
 */
export const ATTR = {
  runId: 'waooaw.run.id',
  workflow: 'waooaw.workflow',
  taskName: 'waooaw.task.name',
  taskAttempt: 'waooaw.task.attempt',
  taskPhase: 'waooaw.task.phase',
  /** completed, failed, retried, or not_leased (a duplicate invocation that found nothing to do). */
  taskOutcome: 'waooaw.task.outcome',
  eventId: 'waooaw.event.id',
  eventType: 'waooaw.event.type',
  subscriptionId: 'waooaw.subscription.id',
  deliveryAttempt: 'waooaw.delivery.attempt',
  replayId: 'waooaw.replay.id',
  workerId: 'waooaw.worker.id',
  runCreated: 'waooaw.run.created',
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingDestination: 'messaging.destination.name',
  messagingMessageId: 'messaging.message.id',
  messagingBatchCount: 'messaging.batch.message_count',
} as const;

export type AttributeName = (typeof ATTR)[keyof typeof ATTR];

/** `messaging.system` of every waooaw span that moves a message. */
export const MESSAGING_SYSTEM = 'waooaw';

export const SPANS = {
  /** Producer: one `bus.publish` call (one or many events). */
  publish: 'waooaw.publish',
  /** Consumer: one delivery attempt of one event to one subscription. */
  deliver: 'waooaw.deliver',
  /** A delivery (or an API call) starting a workflow run. */
  trigger: 'waooaw.trigger',
  /** One attempt of one task. */
  task: 'waooaw.task',
  /** One attempt of one compensation step. */
  compensate: 'waooaw.compensate',
} as const;

/** The tracer name (instrumentation scope) of every waooaw span. */
export const TRACER_NAME = 'waooaw';
