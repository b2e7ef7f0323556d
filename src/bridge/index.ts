/**
 * The bridge: joins the bus and the orchestrator (EventToTaskMapper, OrchestrationEventHandler,
 * TaskEventPublisher) and assembles the app both runtimes serve.
 */
export { type DlqReplayResult, ReplayError, replayDlqEntry } from './dlq-replay.js';
export * from './event-schemas.js';
export {
  EventToTaskMapper,
  type MapContext,
  TASK_TRIGGER,
  TriggerRejectedError,
  WORKFLOW_START,
} from './event-to-task-mapper.js';
export { createInvokeHandler, InvocationGauge } from './invoke-handler.js';
export { metricsSnapshotEvent } from './metrics-snapshot.js';
export { ORCHESTRATION_HANDLER, OrchestrationEventHandler } from './orchestration-event-handler.js';
export { TaskEventPublisher } from './task-event-publisher.js';
export {
  createWaooaw,
  type HandlerSubscription,
  TRANSPORT_GAVE_UP,
  Waooaw,
  type WaooawOptions,
} from './waooaw.js';
