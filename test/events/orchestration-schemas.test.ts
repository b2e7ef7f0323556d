import { describe, expect, it } from 'vitest';
import {
  ORCHESTRATION_EVENT_SCHEMAS,
  ORCHESTRATION_EVENT_TYPES,
  type OrchestrationEventData,
  type OrchestrationEventType,
  registerOrchestrationSchemas,
} from '../../src/bridge/event-schemas.js';
import { SchemaRegistry } from '../../src/events/index.js';

const at = '2024-05-01T12:00:00.000Z';

/** One valid payload per type, and the field whose absence must be named. */
const samples: { [T in OrchestrationEventType]: { data: OrchestrationEventData<T>; required: string } } = {
  'orchestration.task.trigger': {
    data: { task_name: 'send-email', priority: 'HIGH' },
    required: 'task_name',
  },
  'orchestration.workflow.start': {
    data: { workflow: 'onboarding', input: { user: 'u-1' }, idempotency_key: 'k-1' },
    required: 'workflow',
  },
  'orchestration.task.created': {
    data: {
      task_id: 't-1',
      run_id: 'r-1',
      name: 'send-email',
      priority: 'NORMAL',
      trigger_event_id: 'evt-1',
    },
    required: 'trigger_event_id',
  },
  'orchestration.task.started': {
    data: { task_id: 't-1', run_id: 'r-1', name: 'send-email', attempt: 1, worker_id: 'w-1', started_at: at },
    required: 'worker_id',
  },
  'orchestration.task.completed': {
    data: {
      task_id: 't-1',
      run_id: 'r-1',
      name: 'send-email',
      result: null,
      duration_ms: 12.5,
      worker_id: 'w-1',
      completed_at: at,
    },
    required: 'result',
  },
  'orchestration.task.failed': {
    data: {
      task_id: 't-1',
      run_id: 'r-1',
      name: 'send-email',
      error: 'timeout',
      attempt: 2,
      will_retry: true,
      next_attempt_at: at,
    },
    required: 'will_retry',
  },
  'orchestration.workflow.completed': {
    data: { run_id: 'r-1', workflow: 'onboarding', status: 'completed', duration_ms: 100, results: { a: 1 } },
    required: 'status',
  },
  'orchestration.workflow.failed': {
    data: { run_id: 'r-1', workflow: 'onboarding', status: 'failed', duration_ms: 100, error: 'boom' },
    required: 'duration_ms',
  },
  'orchestration.workflow.compensated': {
    data: { run_id: 'r-1', workflow: 'onboarding', status: 'compensated', duration_ms: 100, error: 'boom' },
    required: 'run_id',
  },
  'orchestration.workflow.cancelled': {
    data: { run_id: 'r-1', workflow: 'onboarding', status: 'cancelled', duration_ms: 5 },
    required: 'workflow',
  },
  'orchestration.metrics.snapshot': {
    data: {
      timestamp: at,
      task_queue: { pending: 1, running: 2, completed: 3, failed: 0 },
      worker_pool: { active_workers: 2, idle_workers: 1, throughput_per_min: 30.5 },
    },
    required: 'worker_pool',
  },
  'orchestration.trigger.rejected': {
    data: {
      reason: 'invalid data',
      event_id: 'evt-1',
      event_type: 'orchestration.task.trigger',
      issues: [{ path: 'data.task_name', message: 'required' }],
    },
    required: 'event_id',
  },
  'orchestration.alert': {
    data: {
      severity: 'critical',
      reason: 'dlq_growing',
      run_id: 'r-1',
      task: 'send-email',
      message: 'DLQ at 10',
    },
    required: 'message',
  },
};

const registry = registerOrchestrationSchemas(new SchemaRegistry());

describe('orchestration event schemas', () => {
  it('covers every type of the architecture table', () => {
    expect(ORCHESTRATION_EVENT_TYPES.sort()).toEqual(Object.keys(samples).sort());
    expect(registry.types().sort()).toEqual(Object.keys(samples).sort());
  });

  describe.each(ORCHESTRATION_EVENT_TYPES)('%s', (type) => {
    const { data, required } = samples[type];

    it('accepts a valid sample, and extra fields for forward compatibility', () => {
      expect(registry.validate({ type, data })).toEqual({ ok: true });
      expect(registry.validate({ type, data: { ...data, added_later: true } })).toEqual({ ok: true });
    });

    it(`names data.${required} when it is missing`, () => {
      const bad: Record<string, unknown> = { ...data };
      delete bad[required];
      expect(registry.validate({ type, data: bad })).toEqual({
        ok: false,
        issues: [{ path: `data.${required}`, message: expect.any(String) }],
      });
    });
  });

  it('checks priorities, timestamps, statuses and nested counters', () => {
    const cases: [OrchestrationEventType, Record<string, unknown>, string][] = [
      ['orchestration.task.trigger', { task_name: 'x', priority: 'URGENT' }, 'data.priority'],
      [
        'orchestration.task.started',
        { ...samples['orchestration.task.started'].data, started_at: 'now' },
        'data.started_at',
      ],
      [
        'orchestration.task.started',
        { ...samples['orchestration.task.started'].data, attempt: 0 },
        'data.attempt',
      ],
      [
        'orchestration.workflow.failed',
        { ...samples['orchestration.workflow.failed'].data, status: 'completed' },
        'data.status',
      ],
      [
        'orchestration.metrics.snapshot',
        {
          ...samples['orchestration.metrics.snapshot'].data,
          task_queue: { pending: 1, running: 2, completed: 3 },
        },
        'data.task_queue.failed',
      ],
      ['orchestration.alert', { ...samples['orchestration.alert'].data, severity: 'loud' }, 'data.severity'],
    ];
    for (const [type, data, path] of cases) {
      expect(registry.validate({ type, data }), path).toMatchObject({ ok: false, issues: [{ path }] });
    }
  });

  it('makes orchestration strict and leaves other namespaces open', () => {
    expect(registry.validate({ type: 'orchestration.task.exploded', data: {} })).toMatchObject({
      ok: false,
      issues: [{ path: 'type' }],
    });
    expect(registry.validate({ type: 'webhook.github.push', data: {} })).toEqual({ ok: true });
  });

  it('types parsed data', () => {
    const result = registry.parseData('orchestration.task.trigger', { task_name: 'send-email' });
    expect(result.ok && result.data.task_name).toBe('send-email');
    expect(ORCHESTRATION_EVENT_SCHEMAS['orchestration.task.trigger']).toBe(
      registry.get('orchestration.task.trigger'),
    );
  });
});
