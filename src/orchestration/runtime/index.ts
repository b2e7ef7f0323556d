export type { OrchestratorOptions } from './config.js';
export type {
  AttemptRef,
  LifecycleListener,
  RunEndedEvent,
  TaskCompletedEvent,
  TaskFailedEvent,
  TaskQueuedEvent,
  TaskStartedEvent,
  TasksSkippedEvent,
} from './lifecycle.js';
export { Orchestrator, type StartRunInput, type StartRunResult } from './orchestrator.js';
export { type AnyWorkflow, WorkflowRegistry } from './registry.js';
export { runIdFor } from './run-id.js';
