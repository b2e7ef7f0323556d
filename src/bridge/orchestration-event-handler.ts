import {
  type CloudEvent,
  createEvent,
  type DeliveryContext,
  type EventBus,
  type NewSubscription,
  NonRetriableDeliveryError,
  type TargetHandler,
} from '../events/index.js';
import { InvalidInputError, type Orchestrator, type WorkflowRegistry } from '../orchestration/index.js';
import {
  type EventToTaskMapper,
  TASK_TRIGGER,
  TriggerRejectedError,
  WORKFLOW_START,
} from './event-to-task-mapper.js';

/** The in-process handler name of the generic trigger subscriptions. */
export const ORCHESTRATION_HANDLER = 'waooaw.orchestration';

/**
 * OrchestrationEventHandler: subscribes the orchestrator to the generic trigger events and to
 * every workflow's declared triggers, and starts a run for each delivery. A trigger that cannot
 * become a run goes to the DLQ (kind `trigger`) and publishes `orchestration.trigger.rejected`.
 */
export class OrchestrationEventHandler {
  constructor(
    private readonly bus: EventBus,
    private readonly orchestrator: Orchestrator,
    private readonly mapper: EventToTaskMapper,
    private readonly registry: WorkflowRegistry,
  ) {}

  /** The durable subscriptions the orchestrator needs, with fixed ids (installed by `bus.ensureSubscriptions`). */
  subscriptions(): (NewSubscription & { id: string })[] {
    const subs: (NewSubscription & { id: string })[] = [
      {
        id: 'orchestration.task-trigger',
        pattern: TASK_TRIGGER,
        target: { kind: 'handler', name: ORCHESTRATION_HANDLER },
      },
      {
        id: 'orchestration.workflow-start',
        pattern: WORKFLOW_START,
        target: { kind: 'handler', name: ORCHESTRATION_HANDLER },
      },
    ];
    for (const workflow of this.registry.list()) {
      for (const trigger of workflow.triggers) {
        subs.push({
          id: `workflow.${workflow.name}.${trigger.type}`,
          pattern: trigger.type,
          target: { kind: 'workflow', workflow: workflow.name },
          ...(trigger.orderingKey ? { ordered: true } : {}),
        });
      }
    }
    return subs;
  }

  /** Target handlers for the bus: generic triggers, declared workflow triggers and task targets. */
  targets(): { handler: TargetHandler; workflow: TargetHandler; task: TargetHandler } {
    // A workflow or task target names what to start; the generic triggers name it in their data.
    const named: TargetHandler = (event, ctx) => {
      const target = ctx.subscription.target;
      const name =
        target.kind === 'workflow' ? target.workflow : target.kind === 'task' ? target.task : undefined;
      return this.start(event, ctx, name);
    };
    return { handler: (event, ctx) => this.start(event, ctx), workflow: named, task: named };
  }

  /** Orders deliveries of a declared trigger by the key it declares (the bus falls back to `subject`). */
  orderingKey(workflow: string, event: CloudEvent): string | undefined {
    return this.mapper.orderingKey(event, workflow);
  }

  private async start(event: CloudEvent, ctx: DeliveryContext, workflow?: string): Promise<void> {
    try {
      const request = this.mapper.map(event, {
        ...(workflow ? { workflow } : {}),
        ...(ctx.replayId ? { replayId: ctx.replayId } : {}),
        publishedAt: ctx.publishedAt,
      });
      await this.orchestrator.startRun(
        ctx.traceContext ? { ...request, traceContext: ctx.traceContext } : request,
      );
    } catch (error) {
      if (!(error instanceof TriggerRejectedError || error instanceof InvalidInputError)) throw error;
      const issues = error instanceof TriggerRejectedError ? error.issues : [];
      await this.bus.publish(
        createEvent({
          type: 'orchestration.trigger.rejected',
          source: '/waooaw/orchestrator',
          data: {
            reason: error.message,
            event_id: event.id,
            event_type: event.type,
            ...(issues.length > 0 ? { issues } : {}),
          },
          correlationid: typeof event.correlationid === 'string' ? event.correlationid : event.id,
          causationid: event.id,
          ...(typeof event.traceparent === 'string' ? { traceparent: event.traceparent } : {}),
        }),
      );
      throw new NonRetriableDeliveryError(error.message, { dlqKind: 'trigger', cause: error });
    }
  }
}
