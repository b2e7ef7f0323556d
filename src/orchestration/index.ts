/**
 * Orchestration: workflow definitions (a typed DAG of tasks), retry policies and the errors that steer
 * them. Pure code; the engine that runs definitions against a Store lives beside it.
 */
export {
  assertRunTransition,
  assertTaskTransition,
  canTransitionRun,
  canTransitionTask,
  IllegalTransitionError,
  PRIORITIES,
  PRIORITY_RANK,
  type Priority,
  RUN_STATES,
  RUN_TRANSITIONS,
  type RunState,
  TASK_STATES,
  TASK_TRANSITIONS,
  type TaskSpec,
  type TaskState,
  TERMINAL_RUN_STATES,
} from '../store/index.js';
export { type DagNode, findCycle, planLevels, topologicalOrder, validateDag } from './dag.js';
export {
  InvalidInputError,
  isNonRetriable,
  NonRetriableError,
  RetryAfterError,
  RunCancelledError,
  retryAfterOf,
  serializeError,
  TaskTimeoutError,
  WorkflowDefinitionError,
  type WorkflowDefinitionErrorCode,
} from './errors.js';
export {
  backoffCeiling,
  type Jitter,
  nextRetry,
  type RetryClock,
  type RetryDecision,
  type RetryOptions,
  type RetryPolicy,
  retryPolicy,
} from './retry.js';
// Runtime: runs definitions against a Store and a Transport
export * from './runtime/index.js';
export type {
  CompensationContext,
  CompensationHandler,
  ConcurrencyKeyContext,
  ConcurrencyOptions,
  TaskContext,
  TaskHandler,
  TaskLogger,
} from './task-context.js';
export {
  type DynamicWorkflow,
  defineTask,
  defineWorkflow,
  type InputOf,
  type RawInputOf,
  type TaskBody,
  type TaskDefinition,
  type TaskHandlers,
  type TaskOptions,
  trigger,
  type Workflow,
  type WorkflowConfig,
  type WorkflowDefinition,
  type WorkflowTrigger,
} from './workflow.js';
