import type { Logger } from '../../observability/logger.js';
import type { ReadyTask, RunMeta } from '../../store/index.js';
import type { Envelope } from '../../transport/index.js';
import type { ConcurrencyKeyContext } from '../task-context.js';
import type { AnyWorkflow } from './registry.js';

/** What the concurrency key of a task is computed from. */
export interface RunContext {
  input: unknown;
  meta: RunMeta;
}

/**
 * Turns ready tasks into transport envelopes: priority, backoff delay, a dedup id per
 * (run, task, phase, attempt), and the flow key that enforces the task's concurrency limit.
 */
export function toEnvelopes(
  workflow: AnyWorkflow,
  ready: readonly ReadyTask[],
  run: RunContext,
  now: number,
  trace: { traceparent?: string; tracestate?: string } = {},
  logger?: Logger,
): Envelope[] {
  return ready.map((r) => {
    const definition = workflow.tasks.get(r.task);
    const envelope: Envelope = {
      invocation: {
        kind: 'task',
        runId: r.runId,
        workflow: workflow.name,
        task: r.task,
        attempt: r.attempt,
        phase: r.phase,
        enqueuedAt: now,
        ...trace,
      },
      options: {
        priority: r.priority,
        dedupId: `${r.runId}:${r.task}:${r.phase}:${r.attempt}`,
      },
    };
    const options = envelope.options!;
    if (r.notBefore !== undefined && r.notBefore > now) options.delayMs = r.notBefore - now;
    const concurrency = definition?.concurrency;
    if (concurrency && r.phase === 'execute') {
      const base = `${workflow.name}:${r.task}`;
      const key = concurrencyKey(concurrency.key?.bind(concurrency), {
        input: run.input,
        runId: r.runId,
        workflow: workflow.name,
        taskName: r.task,
        meta: run.meta,
      });
      if (key instanceof Error) {
        // The task is queued already: it must go out. Under the task-wide key its limit still holds
        // (shared by every key), and the run goes on instead of waiting for ever.
        logger?.error('concurrency key threw: the task shares its task-wide limit', {
          runId: r.runId,
          workflow: workflow.name,
          task: r.task,
          error: String(key),
        });
      }
      options.flowKey = key === undefined || key instanceof Error ? base : `${base}:${key}`;
      options.flowLimit = concurrency.limit;
    }
    return envelope;
  });
}

/** The user's key function's answer, or the error it threw. */
function concurrencyKey(
  key: ((ctx: ConcurrencyKeyContext<unknown>) => string) | undefined,
  ctx: ConcurrencyKeyContext<unknown>,
): string | undefined | Error {
  if (!key) return undefined;
  try {
    return key(ctx);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
