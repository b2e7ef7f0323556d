import type { Logger } from '../../observability/logger.js';
import { silentLogger } from '../../observability/logger.js';
import { RUN_END_GRACE_MS, type RunStore } from '../../store/index.js';
import type { Transport } from '../../transport/index.js';
import type { LifecycleListener } from './lifecycle.js';
import type { WorkflowRegistry } from './registry.js';

export interface OrchestratorOptions {
  store: RunStore;
  /** Where ready attempts go; only `enqueue` is used. */
  transport: Pick<Transport, 'enqueue'>;
  registry: WorkflowRegistry;
  /** Names this process in events and leases (`worker_id`). */
  workerId: string;
  listener?: LifecycleListener;
  logger?: Logger;
  /** Epoch ms; injectable for tests. */
  clock?: () => number;
  /** [0, 1); drives retry jitter. */
  random?: () => number;
  /** Timeout of a task that sets none. Default 5 minutes. */
  defaultTimeoutMs?: number;
  /** Added to the timeout to make the lease, so a slow clock never steals a live attempt. Default 5 s. */
  leaseGraceMs?: number;
  /**
   * How long a queued attempt may wait to be leased before the sweeper enqueues it again
   * (its invocation may have been lost). Default 5 minutes; duplicates are harmless.
   */
  queuedTimeoutMs?: number;
  /**
   * Acknowledge an invocation without waiting for its lifecycle events to be published (they are
   * published in the background, in order, and `drain()` waits for them). About a millisecond less
   * per step of a chain, no more throughput (measured), but a process that stops in between loses
   * those events for good. Off (the default), the invocation is acknowledged once they are out, and
   * one delivered again after its process stopped reports its attempt again (`recoverEnded`).
   */
  detachLifecycleEvents?: boolean;
  /** How long an ended run stays readable (`GET /runs/:id`) before it is deleted. Default 7 days. */
  runRetentionMs?: number;
  /**
   * How long a run's end event may take to be published by the process that ended the run before
   * the sweeper publishes it (that process may have stopped first). Default 30 s.
   */
  runEndGraceMs?: number;
}

export type OrchestratorConfig = Required<Omit<OrchestratorOptions, 'listener'>> & {
  listener: LifecycleListener;
};

export function resolveOptions(options: OrchestratorOptions): OrchestratorConfig {
  return {
    listener: {},
    logger: silentLogger,
    clock: Date.now,
    random: Math.random,
    defaultTimeoutMs: 5 * 60_000,
    leaseGraceMs: 5_000,
    queuedTimeoutMs: 5 * 60_000,
    detachLifecycleEvents: false,
    runRetentionMs: 7 * 24 * 60 * 60_000,
    runEndGraceMs: RUN_END_GRACE_MS,
    ...stripUndefined(options),
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
