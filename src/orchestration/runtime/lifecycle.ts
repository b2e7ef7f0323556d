import type { Phase, Priority, RunMeta, RunOutcome } from '../../store/index.js';

/** Identifies one attempt of one task of one run. */
export interface AttemptRef {
  runId: string;
  workflow: string;
  task: string;
  attempt: number;
  phase: Phase;
  /** Trace and correlation context of the run. */
  meta: RunMeta;
}

export interface TaskQueuedEvent extends AttemptRef {
  priority: Priority;
  /** Epoch ms before which it will not run (a retry's backoff). */
  notBefore?: number;
}

export interface TaskStartedEvent extends AttemptRef {
  workerId: string;
  startedAt: number;
  /** When the run was created: the start of the first task measures event-to-task latency. */
  runCreatedAt: number;
  /** Reported again from the store by a redelivered invocation (see `recoverEnded`). */
  recovered?: true;
}

export interface TaskCompletedEvent extends AttemptRef {
  result: unknown;
  durationMs: number;
  workerId: string;
  completedAt: number;
  /** Reported again from the store by a redelivered invocation (see `recoverEnded`). */
  recovered?: true;
}

export interface TaskFailedEvent extends AttemptRef {
  error: string;
  willRetry: boolean;
  nextAttemptAt?: number;
  durationMs?: number;
  workerId: string;
  failedAt: number;
  /** Reported again from the store by a redelivered invocation (see `recoverEnded`). */
  recovered?: true;
}

export interface TasksSkippedEvent {
  runId: string;
  workflow: string;
  tasks: string[];
  meta: RunMeta;
}

export interface RunEndedEvent extends RunOutcome {
  runId: string;
  endedAt: number;
  /**
   * Announced by the sweeper: the run ended a while ago and its end was never reported as
   * published (the process that ended it may have stopped first). It may have been published all
   * the same: its event keeps the same id, so a consumer can tell.
   */
  recovered?: true;
}

/**
 * How the orchestrator reports lifecycle changes. It knows nothing of the bus: the bridge implements
 * this port and turns each call into events. A returned promise is awaited before the invocation is
 * acknowledged, so a crash before publishing means the invocation is delivered again.
 */
export interface LifecycleListener {
  taskQueued?(event: TaskQueuedEvent): void | Promise<void>;
  taskStarted?(event: TaskStartedEvent): void | Promise<void>;
  taskCompleted?(event: TaskCompletedEvent): void | Promise<void>;
  taskFailed?(event: TaskFailedEvent): void | Promise<void>;
  tasksSkipped?(event: TasksSkippedEvent): void | Promise<void>;
  /**
   * The run ended, or started compensating (`status: 'compensating'`). An ended run owes its end to
   * the listener until this call resolves; resolving `false` says it is not out yet (kept to
   * publish later): the run still owes it, and the sweeper calls again after the grace period
   * (`recovered: true`) if this process stops first.
   */
  runChanged?(event: RunEndedEvent): unknown;
}

/**
 * Listener work still running after its invocation was acknowledged (detached mode), so that a
 * draining process can wait for it.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<unknown>>();

  add(work: Promise<unknown>): void {
    const tracked = work.catch(() => {}).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  get size(): number {
    return this.running.size;
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}

/** Calls every listener method it is given and collects the promises to await. */
export class ListenerCalls {
  private readonly pending: Promise<void>[] = [];
  /** Awaited before the acknowledgement even in detached mode (a final failure's DLQ entry). */
  private readonly critical: Promise<void>[] = [];

  /**
   * @param background when given, `settle()` hands the pending calls to it instead of waiting
   *   (detached mode): the invocation is acknowledged first, and a process that stops before they
   *   are out loses them.
   */
  constructor(
    private readonly listener: LifecycleListener,
    private readonly background?: BackgroundWork,
  ) {}

  /**
   * @param critical awaited by `settle()` whatever the mode: what it records (a final failure's DLQ
   *   entry) would not come back if the process died after acknowledging.
   */
  emit<K extends keyof LifecycleListener>(
    method: K,
    event: Parameters<NonNullable<LifecycleListener[K]>>[0],
    { critical = false }: { critical?: boolean } = {},
  ): void {
    const fn = this.listener[method] as ((e: typeof event) => void | Promise<void>) | undefined;
    if (!fn) return;
    const out = fn.call(this.listener, event);
    if (!out) return;
    // Observed now: a failure while the task still runs (its `settle()` comes later) must not be an
    // unhandled rejection, which would end a Node process. settle() still sees it.
    out.catch(() => {});
    (critical ? this.critical : this.pending).push(out);
  }

  async settle(): Promise<void> {
    if (this.pending.length > 0) {
      const all = Promise.all(this.pending);
      if (this.background) this.background.add(all);
      else await all;
    }
    if (this.critical.length > 0) await Promise.all(this.critical);
  }
}
