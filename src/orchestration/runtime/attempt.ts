import type { Span, Context as TraceContext } from '@opentelemetry/api';
import { ATTR } from '../../observability/attributes.js';
import { attemptSpan } from '../../observability/run-tracing.js';
import { injectContext, inSpan, recordFailure } from '../../observability/tracing.js';
import { callToken, type LeaseResult, withResends } from '../../store/index.js';
import type { Envelope, InvokeHooks, InvokeOutcome, TaskInvocation } from '../../transport/index.js';
import { serializeError, TaskTimeoutError } from '../errors.js';
import { nextRetry } from '../retry.js';
import type { TaskDefinition } from '../workflow.js';
import { AttemptAbort } from './attempt-abort.js';
import type { OrchestratorConfig } from './config.js';
import { type AttemptRef, type BackgroundWork, ListenerCalls } from './lifecycle.js';
import { recoverEnded } from './recover.js';
import type { RunEffects } from './run-effects.js';

type Leased = Extract<LeaseResult, { ok: true }>;

/** Attempts running in this process, by run, so a cancellation can abort them. */
export type LocalAttempts = Map<string, Set<AttemptAbort>>;

/**
 * Runs one task attempt (or one compensation attempt): lease, run the code under a timeout,
 * then record the outcome in one atomic store call and enqueue what it released.
 * This is the only place task code runs, whatever transport carried the invocation here.
 */
export function runAttempt(
  config: OrchestratorConfig,
  effects: RunEffects,
  local: LocalAttempts,
  invocation: TaskInvocation,
  background?: BackgroundWork,
  hooks?: InvokeHooks,
): Promise<InvokeOutcome> {
  const { name, options } = attemptSpan(invocation, config.workerId);
  return inSpan(name, options, (span, ctx) =>
    attempt(config, effects, local, invocation, span, ctx, background, hooks),
  );
}

async function attempt(
  config: OrchestratorConfig,
  effects: RunEffects,
  local: LocalAttempts,
  invocation: TaskInvocation,
  span: Span,
  ctx: TraceContext,
  background: BackgroundWork | undefined,
  hooks: InvokeHooks | undefined,
): Promise<InvokeOutcome> {
  const { store, registry, clock, workerId, logger } = config;
  const workflow = registry.get(invocation.workflow);
  const definition = workflow?.tasks.get(invocation.task);
  if (!workflow || !definition) {
    // Another release of the app may know it: let the transport retry, and the DLQ catch it if none does.
    logger.error('invocation for an unknown workflow or task', { ...invocation });
    return { status: 'retry', error: `unknown task ${invocation.workflow}/${invocation.task}` };
  }
  const { phase } = invocation;
  const timeoutMs = definition.timeoutMs ?? config.defaultTimeoutMs;
  const startedAt = clock();
  // The lease's token: its completion or failure carries it too, so a resent call is answered.
  const token = callToken(workerId);
  const leaseInput = {
    runId: invocation.runId,
    task: invocation.task,
    attempt: invocation.attempt,
    phase,
    workerId,
    now: startedAt,
    leaseMs: timeoutMs + config.leaseGraceMs,
    token,
  };
  const lease = await withResends(() => store.leaseAttempt(leaseInput));
  if (!lease.ok) {
    logger.debug('attempt not leased', { ...invocation, reason: lease.reason });
    span.setAttribute(ATTR.taskOutcome, 'not_leased');
    // Ended already: maybe by a process that stopped before reporting it and acknowledging.
    if (lease.reason === 'stale' || lease.reason === 'run_ended') {
      return recoverEnded(config, effects, workflow, invocation, lease, injectContext(ctx), background);
    }
    return { status: 'ack' };
  }
  // What this attempt enqueues and reports (dependents, lifecycle events) carries its span.
  const trace = injectContext(ctx);
  const ref: AttemptRef = {
    runId: invocation.runId,
    workflow: workflow.name,
    task: invocation.task,
    attempt: lease.attempt,
    phase,
    meta: trace.traceparent ? { ...lease.meta, ...trace } : lease.meta,
  };
  const calls = new ListenerCalls(config.listener, background);
  // What this attempt releases is handed to the transport with its acknowledgement.
  const followUps: Envelope[] = [];
  if (phase === 'execute') {
    calls.emit('taskStarted', { ...ref, workerId, startedAt, runCreatedAt: lease.runCreatedAt });
  }

  const outcome = await execute(config, definition, ref, lease, timeoutMs, local);
  // The task code is done: its slot may take the next invocation while the outcome is recorded.
  hooks?.releaseSlot();
  const endedAt = clock();
  if (!outcome.ok) recordFailure(span, outcome.error);
  if (outcome.ok) {
    span.setAttribute(ATTR.taskOutcome, 'completed');
    const completion = { ...target(ref), result: outcome.value, now: endedAt, token };
    const done = await withResends(() => store.completeAttempt(completion));
    if (!done.ok) {
      logger.warn('completion refused', { ...ref, reason: done.reason });
    } else {
      if (phase === 'execute') {
        calls.emit('taskCompleted', {
          ...ref,
          result: outcome.value,
          durationMs: endedAt - startedAt,
          workerId,
          completedAt: endedAt,
        });
      }
      await effects.apply(workflow, ref.runId, calls, done.ready, done.run, lease, endedAt, trace, followUps);
    }
  } else {
    const policy = phase === 'execute' ? definition.retry : definition.compensationRetry;
    const decision = nextRetry(policy, lease.attempt, outcome.error, { random: config.random, now: endedAt });
    const error = serializeError(outcome.error);
    const failure = {
      ...target(ref),
      error,
      now: endedAt,
      token,
      ...(decision.retry ? { retryAt: decision.at } : {}),
    };
    const failed = await withResends(() => store.failAttempt(failure));
    if (!failed.ok) {
      logger.warn('failure refused', { ...ref, reason: failed.reason });
    } else {
      span.setAttribute(ATTR.taskOutcome, failed.willRetry ? 'retried' : 'failed');
      calls.emit(
        'taskFailed',
        {
          ...ref,
          error,
          willRetry: failed.willRetry,
          ...(failed.willRetry && decision.retry ? { nextAttemptAt: decision.at } : {}),
          durationMs: endedAt - startedAt,
          workerId,
          failedAt: endedAt,
        },
        { critical: !failed.willRetry },
      );
      if (failed.skipped.length > 0) {
        calls.emit('tasksSkipped', {
          runId: ref.runId,
          workflow: ref.workflow,
          tasks: failed.skipped,
          meta: ref.meta,
        });
      }
      await effects.apply(
        workflow,
        ref.runId,
        calls,
        failed.ready,
        failed.run,
        lease,
        endedAt,
        trace,
        followUps,
      );
    }
  }
  try {
    await calls.settle();
  } catch (error) {
    // The outcome is recorded and the tasks it released must still go out. The listener logged
    // what it could not publish; what the run owes (its end, a final failure's DLQ entry) stays
    // owed, and the sweeper reports it again.
    logger.error('lifecycle events of a recorded outcome not published', {
      ...target(ref),
      error: String(error),
    });
  }
  return followUps.length > 0 ? { status: 'ack', followUps } : { status: 'ack' };
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function execute(
  config: OrchestratorConfig,
  definition: TaskDefinition<unknown>,
  ref: AttemptRef,
  lease: Leased,
  timeoutMs: number,
  local: LocalAttempts,
): Promise<Outcome> {
  const abort = new AttemptAbort();
  const running = local.get(ref.runId) ?? new Set<AttemptAbort>();
  local.set(ref.runId, running.add(abort));
  const timer = setTimeout(() => abort.abort(new TaskTimeoutError(ref.task, timeoutMs)), timeoutMs);
  try {
    const ctx = {
      input: lease.input,
      deps: lease.deps,
      runId: ref.runId,
      workflow: ref.workflow,
      taskName: ref.task,
      attempt: ref.attempt,
      idempotencyKey: `${ref.runId}:${ref.task}${ref.phase === 'compensate' ? ':compensate' : ''}`,
      logger: config.logger.child({
        runId: ref.runId,
        task: ref.task,
        attempt: ref.attempt,
        phase: ref.phase,
      }),
      signal: abort.signal,
      meta: lease.meta,
    };
    const body =
      ref.phase === 'execute'
        ? Promise.resolve().then(() => definition.run(ctx))
        : Promise.resolve().then(() => definition.compensate?.({ ...ctx, result: lease.result }));
    const value = await Promise.race([body, abort.aborted]);
    return { ok: true, value: value === undefined ? null : value };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    running.delete(abort);
    if (running.size === 0) local.delete(ref.runId);
  }
}

function target(ref: AttemptRef): {
  runId: string;
  task: string;
  attempt: number;
  phase: AttemptRef['phase'];
} {
  return { runId: ref.runId, task: ref.task, attempt: ref.attempt, phase: ref.phase };
}
