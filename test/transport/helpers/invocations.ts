import type { EnqueueOptions, Envelope, Invocation, TaskInvocation } from '../../../src/transport/index.js';

/** A task invocation named `name`: the tests identify deliveries by task name. */
export function task(name: string): TaskInvocation {
  return { kind: 'task', runId: 'run-1', workflow: 'wf', task: name, attempt: 1, phase: 'execute' };
}

export function envelope(name: string, options?: EnqueueOptions): Envelope {
  return { invocation: task(name), options };
}

export function nameOf(invocation: Invocation): string {
  return invocation.kind === 'task' ? invocation.task : invocation.subscriptionId;
}
