import type { Span, Context as TraceContext } from '@opentelemetry/api';
import { ATTR, SPANS } from '../../observability/attributes.js';
import { triggerSpanOptions } from '../../observability/run-tracing.js';
import { injectContext, inSpan } from '../../observability/tracing.js';
import { callToken, type Priority, type RunMeta, type RunView, withResends } from '../../store/index.js';
import type { InvokeHooks, InvokeOutcome, TaskInvocation } from '../../transport/index.js';
import { InvalidInputError, RunCancelledError } from '../errors.js';
import { type LocalAttempts, runAttempt } from './attempt.js';
import { type OrchestratorConfig, type OrchestratorOptions, resolveOptions } from './config.js';
import { BackgroundWork, ListenerCalls } from './lifecycle.js';
import { clearingOwedReports } from './owed-reports.js';
import { RunEffects } from './run-effects.js';
import { runIdFor } from './run-id.js';

export interface StartRunInput {
  workflow: string;
  input?: unknown;
  /** Overrides every task's priority for this run. */
  priority?: Priority;
  /** The same key starts one run, never two (the run id is derived from it). */
  idempotencyKey?: string;
  /** Trace and correlation context (traceparent, correlationid, trigger_event_id...). */
  meta?: RunMeta;
  /** Parent of the `waooaw.trigger` span (the delivery of the trigger event); else the meta's trace. */
  traceContext?: TraceContext;
}

export interface StartRunResult {
  runId: string;
  /** False when the idempotency key had already started this run. */
  created: boolean;
}

/**
 * The workflow runtime: starts runs, runs task attempts delivered by the transport, sweeps
 * expired leases and cancels runs. Stateless: every fact lives in the Store, so any number of
 * processes (or isolates) can share the work.
 *
 * @example
 * const orchestrator = new Orchestrator({ store, transport, registry, workerId: 'node-1' });
 * const { runId } = await orchestrator.startRun({ workflow: 'trial-provisioning', input: { email } });
 */
export class Orchestrator {
  readonly config: OrchestratorConfig;
  private readonly effects: RunEffects;
  private readonly local: LocalAttempts = new Map();
  private readonly background = new BackgroundWork();

  constructor(options: OrchestratorOptions) {
    const config = resolveOptions(options);
    this.config = { ...config, listener: clearingOwedReports(config.listener, config.store, config.logger) };
    this.effects = new RunEffects(this.config);
  }

  /** Creates a run and enqueues its root tasks. Throws `InvalidInputError` for an unknown workflow or bad input. */
  startRun(request: StartRunInput): Promise<StartRunResult> {
    const meta = request.meta ?? {};
    const span = triggerSpanOptions(request.workflow, meta, request.traceContext);
    return inSpan(SPANS.trigger, span, (active, ctx) => this.createRun(request, meta, active, ctx));
  }

  private async createRun(
    request: StartRunInput,
    given: RunMeta,
    span: Span,
    ctx: TraceContext,
  ): Promise<StartRunResult> {
    const { store, registry, clock } = this.config;
    const workflow = registry.get(request.workflow);
    if (!workflow) throw new InvalidInputError(request.workflow, `unknown workflow '${request.workflow}'`);
    const input = workflow.parseInput(request.input);
    const tasks = workflow.toTaskSpecs(request.priority);
    const runId = request.idempotencyKey
      ? await runIdFor(workflow.name, request.idempotencyKey)
      : `run_${crypto.randomUUID().replaceAll('-', '')}`;
    // Root tasks are enqueued by the trigger span; a run started without a trace joins it.
    const trace = injectContext(ctx);
    const meta = given.traceparent ? given : { ...given, ...trace };
    span.setAttribute(ATTR.runId, runId);
    const now = clock();
    const creation = {
      runId,
      workflow: workflow.name,
      input,
      tasks,
      meta,
      now,
      queuedTimeoutMs: this.config.queuedTimeoutMs,
      retentionMs: this.config.runRetentionMs,
      endGraceMs: this.config.runEndGraceMs,
      token: callToken(this.config.workerId),
    };
    const created = await withResends(() => store.createRun(creation));
    span.setAttribute(ATTR.runCreated, created.created);
    if (created.created) {
      const calls = new ListenerCalls(this.config.listener);
      const context = { input, meta };
      await this.effects.apply(workflow, runId, calls, created.ready, undefined, context, now, trace);
      await calls.settle();
    }
    return { runId, created: created.created };
  }

  /** The invoke handler for task invocations. Never throws: a store failure asks the transport to retry. */
  async handleTask(invocation: TaskInvocation, hooks?: InvokeHooks): Promise<InvokeOutcome> {
    try {
      const background = this.config.detachLifecycleEvents ? this.background : undefined;
      return await runAttempt(this.config, this.effects, this.local, invocation, background, hooks);
    } catch (error) {
      this.config.logger.error('attempt failed to record', { ...invocation, error: String(error) });
      return { status: 'retry', error: String(error) };
    }
  }

  /**
   * Re-enqueues queued attempts whose invocation was lost and fails (or retries) attempts whose
   * lease expired. Run it every few seconds (interval on Node, Cron Trigger on Workers).
   * @returns how many entries it handled.
   */
  async sweep(limit = 500): Promise<number> {
    const { store, registry, clock, workerId, logger } = this.config;
    const now = clock();
    const sweep = { now, limit, queuedTimeoutMs: this.config.queuedTimeoutMs, token: callToken(workerId) };
    const swept = await withResends(() => store.expireLeases(sweep));
    const calls = new ListenerCalls(this.config.listener);
    // One read per run touched: the sweeper holds ids only, the events need meta and input.
    const views = new Map<string, Promise<RunView | undefined>>();
    const view = (runId: string) => {
      let found = views.get(runId);
      if (!found) {
        found = store.getRun(runId);
        views.set(runId, found);
      }
      return found;
    };
    const byRun = new Map<string, typeof swept.ready>();
    for (const r of swept.ready) {
      const list = byRun.get(r.runId);
      if (list) list.push(r);
      else byRun.set(r.runId, [r]);
    }
    const outcomes = new Map(swept.expired.filter((e) => e.run).map((e) => [e.runId, e.run]));
    for (const e of swept.expired) {
      const run = await view(e.runId);
      const common = { runId: e.runId, workflow: run?.workflow ?? '', meta: run?.meta ?? {} };
      calls.emit('taskFailed', {
        ...common,
        task: e.task,
        attempt: e.attempt,
        phase: e.phase,
        error: 'lease expired',
        willRetry: e.willRetry,
        workerId,
        failedAt: now,
      });
      if (e.skipped.length > 0) calls.emit('tasksSkipped', { ...common, tasks: e.skipped });
    }
    for (const runId of new Set([...byRun.keys(), ...outcomes.keys()])) {
      const run = await view(runId);
      const workflow = run && registry.get(run.workflow);
      if (!run || !workflow) {
        logger.error('sweep found a run of an unknown workflow', { runId, workflow: run?.workflow });
        continue;
      }
      const context = { input: run.input, meta: run.meta };
      try {
        await this.effects.apply(
          workflow,
          runId,
          calls,
          byRun.get(runId) ?? [],
          outcomes.get(runId),
          context,
          now,
        );
      } catch (error) {
        // One run's enqueue failing must not keep the others' from going out; its queued tasks
        // are found again once their queued timeout passes.
        logger.error('sweep could not enqueue what it released', { runId, error: String(error) });
      }
    }
    // Run ends and final failures still owed (cleared once the listener has them: clearingOwedReports).
    const unannounced = swept.unannounced ?? [];
    for (const u of unannounced) {
      calls.emit('runChanged', { ...u.run, runId: u.runId, endedAt: u.endedAt, recovered: true });
    }
    const unrecorded = swept.unrecorded ?? [];
    for (const { endedAt, ...failure } of unrecorded) {
      calls.emit('taskFailed', { ...failure, willRetry: false, failedAt: endedAt, recovered: true });
    }
    await calls.settle();
    return swept.requeued.length + swept.expired.length + unannounced.length + unrecorded.length;
  }

  /** Cancels a run: nothing new starts, and attempts running in this process are aborted. */
  async cancelRun(runId: string, reason?: string): Promise<{ ok: boolean; reason?: string }> {
    const now = this.config.clock();
    const cancellation = {
      runId,
      now,
      token: callToken(this.config.workerId),
      ...(reason ? { reason } : {}),
    };
    const result = await withResends(() => this.config.store.cancelRun(cancellation));
    if (!result.ok) return { ok: false, ...(result.reason ? { reason: result.reason } : {}) };
    for (const attempt of this.local.get(runId) ?? []) attempt.abort(new RunCancelledError(runId, reason));
    if (result.run) {
      const calls = new ListenerCalls(this.config.listener);
      calls.emit('runChanged', { ...result.run, runId, endedAt: now });
      await calls.settle();
    }
    return { ok: true };
  }

  /** Waits for lifecycle events still being published in the background (detached mode). */
  drain(): Promise<void> {
    return this.background.drain();
  }

  getRun(runId: string): Promise<RunView | undefined> {
    return this.config.store.getRun(runId);
  }
}
