import { createEvent, EventBacklog, type EventBus } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type {
  AttemptRef,
  LifecycleListener,
  RunEndedEvent,
  TaskCompletedEvent,
  TaskFailedEvent,
  TaskQueuedEvent,
  TaskStartedEvent,
} from '../orchestration/index.js';
import { type BusStore, type RunMeta, withResends } from '../store/index.js';

export interface TaskEventPublisherOptions {
  bus: EventBus;
  store: BusStore;
  metrics: Metrics;
  logger: Logger;
  clock: () => number;
  /** CloudEvents `source` of every lifecycle event. */
  source?: string;
  /**
   * Where events go that the bus did not take for want of an answer from its store, to be
   * published again later. Without one, and for a refusal, the event is logged and its listener
   * call rejects.
   */
  backlog?: EventBacklog;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * TaskEventPublisher: every lifecycle change of the orchestrator becomes an event on the bus,
 * under an id made of what it reports (`<runId>:<task>:<attempt>:completed`, `<runId>:<status>`...):
 * the same change reported again (a redelivered invocation republishes what its first delivery
 * may not have) has the same id, so a consumer can drop the second copy. Each carries the run's
 * trace (`traceparent`), its `correlationid`, the trigger event as `causationid` and
 * `trigger_event_id`. A final task failure also writes a DLQ entry and publishes an
 * `orchestration.alert`.
 */
export class TaskEventPublisher implements LifecycleListener {
  private readonly source: string;

  constructor(private readonly options: TaskEventPublisherOptions) {
    this.source = options.source ?? '/waooaw/orchestrator';
  }

  async taskQueued(e: TaskQueuedEvent): Promise<void> {
    // Retries are announced by task.failed (will_retry); compensation steps by the run's events.
    if (e.phase !== 'execute' || e.attempt !== 1) return;
    await this.publish(
      e.meta,
      e.runId,
      'orchestration.task.created',
      {
        task_id: taskId(e),
        run_id: e.runId,
        name: e.task,
        priority: e.priority,
        workflow: e.workflow,
        trigger_event_id: triggerEventId(e),
      },
      `${taskId(e)}:created`,
    );
  }

  async taskStarted(e: TaskStartedEvent): Promise<void> {
    const publishedAt = Number(e.meta.trigger_published_at);
    if (e.attempt === 1 && !e.recovered && Number.isFinite(publishedAt)) {
      this.options.metrics.observe('eventToTaskLatency', Math.max(0, e.startedAt - publishedAt) / 1000);
    }
    await this.publish(
      e.meta,
      e.runId,
      'orchestration.task.started',
      {
        task_id: taskId(e),
        run_id: e.runId,
        name: e.task,
        workflow: e.workflow,
        attempt: e.attempt,
        worker_id: e.workerId,
        started_at: iso(e.startedAt),
        trigger_event_id: triggerEventId(e),
      },
      `${taskId(e)}:${e.attempt}:started`,
    );
  }

  async taskCompleted(e: TaskCompletedEvent): Promise<void> {
    const { metrics } = this.options;
    const labels = { workflow: e.workflow, task: e.task };
    // Counted once, by the process that ran the attempt.
    if (!e.recovered) {
      metrics.observe('taskDuration', e.durationMs / 1000, labels);
      metrics.inc('taskOutcomes', { ...labels, outcome: 'completed' });
    }
    await this.publish(
      e.meta,
      e.runId,
      'orchestration.task.completed',
      {
        task_id: taskId(e),
        run_id: e.runId,
        name: e.task,
        workflow: e.workflow,
        attempt: e.attempt,
        result: e.result ?? null,
        duration_ms: e.durationMs,
        worker_id: e.workerId,
        completed_at: iso(e.completedAt),
        trigger_event_id: triggerEventId(e),
      },
      `${taskId(e)}:${e.attempt}:completed`,
    );
    if (!e.recovered) {
      metrics.observe('taskToEventLatency', Math.max(0, this.options.clock() - e.completedAt) / 1000);
    }
  }

  async taskFailed(e: TaskFailedEvent): Promise<void> {
    const { metrics, store, clock } = this.options;
    const labels = { workflow: e.workflow, task: e.task };
    // Counted once, by the process that ran the attempt.
    if (!e.recovered) {
      if (e.durationMs !== undefined) metrics.observe('taskDuration', e.durationMs / 1000, labels);
      metrics.inc('taskOutcomes', { ...labels, outcome: e.willRetry ? 'retried' : 'failed' });
      if (e.willRetry) metrics.inc('taskRetries', labels);
    }
    const events: Promise<unknown>[] = [
      this.publish(
        e.meta,
        e.runId,
        'orchestration.task.failed',
        {
          task_id: taskId(e),
          run_id: e.runId,
          name: e.task,
          workflow: e.workflow,
          phase: e.phase,
          error: e.error,
          attempt: e.attempt,
          will_retry: e.willRetry,
          ...(e.nextAttemptAt === undefined ? {} : { next_attempt_at: iso(e.nextAttemptAt) }),
          worker_id: e.workerId,
          trigger_event_id: triggerEventId(e),
        },
        `${taskId(e)}:${e.phase === 'execute' ? '' : 'compensate:'}${e.attempt}:failed`,
      ),
    ];
    if (!e.willRetry) {
      // Keyed: reported again (a redelivered invocation, a resend after a lost reply), one entry.
      const dead = {
        kind: 'task' as const,
        reason: e.phase === 'execute' ? 'retries exhausted' : 'compensation failed',
        attempts: e.attempt,
        lastError: e.error,
        runId: e.runId,
        task: e.task,
        key: `task:${e.runId}:${e.task}:${e.phase}`,
        createdAt: clock(),
      };
      const entry = await withResends(() => store.addDlq(dead)).catch(async (error: unknown) => {
        // The task.failed publish already started: wait for it, so that its own failure is not
        // left unhandled (Node ends the process on one), then report this one.
        await Promise.allSettled(events);
        throw error;
      });
      // Counted when written (a failure reported again finds its entry: the one first stored).
      if (entry.createdAt === dead.createdAt) metrics.inc('dlqEntries', { kind: 'task' });
      events.push(
        this.publish(
          e.meta,
          e.runId,
          'orchestration.alert',
          {
            severity: 'error',
            reason: e.phase === 'execute' ? 'task_failed' : 'compensation_failed',
            run_id: e.runId,
            task: e.task,
            dlq_id: entry.id,
            message: `${e.workflow}/${e.task} failed after ${e.attempt} attempt(s): ${e.error}`,
          },
          `${taskId(e)}:${e.phase === 'execute' ? '' : 'compensate:'}alert`,
        ),
      );
    }
    // A failure here keeps a final failure owed: the sweeper reports it again (the entry is keyed).
    await Promise.all(events);
  }

  /**
   * A run's end, under a stable id (`<runId>:<status>`): the sweeper publishes it again when this
   * process is not heard to have published it (it may have stopped in between).
   * @returns false when the event is only kept in the backlog, not out yet (the run still owes it).
   */
  async runChanged(e: RunEndedEvent): Promise<boolean> {
    if (e.status === 'running' || e.status === 'compensating') return true;
    const { metrics } = this.options;
    // Counted once, by the process that ended the run.
    if (!e.recovered) {
      const publishedAt = Number(e.meta.trigger_published_at);
      if (Number.isFinite(publishedAt)) {
        metrics.observe('endToEndLatency', Math.max(0, e.endedAt - publishedAt) / 1000);
      }
      metrics.inc('runs', { workflow: e.workflow, status: e.status });
    }
    const type = `orchestration.workflow.${e.status}`;
    const id = `${e.runId}:${e.status}`;
    return this.publish(
      e.meta,
      e.runId,
      type,
      {
        run_id: e.runId,
        workflow: e.workflow,
        status: e.status,
        duration_ms: e.durationMs,
        ...(e.results ? { results: e.results } : {}),
        ...(e.error ? { error: e.error } : {}),
        ...(e.failedTask ? { failed_task: e.failedTask } : {}),
        trigger_event_id: triggerEventId(e),
      },
      id,
    );
  }

  /** @returns whether the bus took the event (false: kept in the backlog to publish later). */
  private async publish(
    meta: RunMeta,
    runId: string,
    type: string,
    data: Record<string, unknown>,
    id?: string,
  ): Promise<boolean> {
    // Undefined attributes are dropped by createEvent: no conditional spreads on this path (three
    // events per task).
    const event = createEvent(
      {
        type,
        source: this.source,
        id,
        subject: runId,
        data,
        correlationid: meta.correlationid || undefined,
        causationid: meta.trigger_event_id || undefined,
        traceparent: meta.traceparent || undefined,
        tracestate: meta.tracestate || undefined,
      },
      { clock: this.options.clock, validate: false },
    );
    const { backlog } = this.options;
    // Behind events already kept: they reach subscribers in order, and a store that is down is
    // not tried (and resent to) once per event.
    if (backlog && backlog.size > 0) {
      backlog.add(event);
      return false;
    }
    try {
      await this.options.bus.publish(event, { trusted: true });
      return true;
    } catch (error) {
      const unanswered = EventBacklog.keeps(error);
      if (backlog && unanswered) {
        backlog.add(event, error);
        return false;
      }
      this.options.logger.error('lifecycle event not published', { type, runId, error: String(error) });
      this.options.metrics.inc('eventsLost', { reason: unanswered ? 'unreachable' : 'refused' });
      throw error;
    }
  }
}

/** The event that started the run; a run started from code (no trigger event) names itself. */
function triggerEventId(e: { meta: RunMeta; runId: string }): string {
  return e.meta.trigger_event_id ?? e.runId;
}

function taskId(ref: Pick<AttemptRef, 'runId' | 'task'>): string {
  return `${ref.runId}:${ref.task}`;
}
