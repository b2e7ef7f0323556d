import { type CloudEvent, createEvent } from '../events/index.js';
import type { QueueStats } from '../store/index.js';

export interface SnapshotInput {
  stats: QueueStats;
  activeWorkers: number;
  slots: number;
  throughputPerMin: number;
  now: number;
  workerId: string;
}

/** `orchestration.metrics.snapshot`: the seed's periodic view of the queue and the invocation slots. */
export function metricsSnapshotEvent(input: SnapshotInput): CloudEvent {
  const { stats } = input;
  return createEvent(
    {
      type: 'orchestration.metrics.snapshot',
      source: '/waooaw/orchestrator',
      subject: input.workerId,
      data: {
        timestamp: new Date(input.now).toISOString(),
        task_queue: {
          pending: stats.pending,
          queued: stats.queued,
          running: stats.running,
          completed: stats.completed,
          failed: stats.failed,
          queued_by_priority: stats.queuedByPriority,
        },
        worker_pool: {
          worker_id: input.workerId,
          active_workers: input.activeWorkers,
          idle_workers: Math.max(0, input.slots - input.activeWorkers),
          throughput_per_min: input.throughputPerMin,
        },
      },
    },
    { clock: () => input.now },
  );
}
