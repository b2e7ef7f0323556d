import { WorkflowDefinitionError } from '../errors.js';
import type { Workflow } from '../workflow.js';

// biome-ignore lint/suspicious/noExplicitAny: a registry holds workflows of every input and result type.
export type AnyWorkflow = Workflow<any, any>;

/**
 * The workflows (and standalone tasks, which are one-task workflows) this app can run.
 * Events and invocations refer to them by name: no code travels.
 */
export class WorkflowRegistry {
  private readonly byName = new Map<string, AnyWorkflow>();

  constructor(workflows: Iterable<AnyWorkflow> = []) {
    for (const wf of workflows) this.register(wf);
  }

  /** Adds a workflow; a second one with the same name is a definition error. */
  register(workflow: AnyWorkflow): this {
    if (this.byName.has(workflow.name)) {
      throw new WorkflowDefinitionError(`workflow '${workflow.name}' is registered twice`, {
        code: 'duplicate_task',
      });
    }
    this.byName.set(workflow.name, workflow);
    return this;
  }

  get(name: string): AnyWorkflow | undefined {
    return this.byName.get(name);
  }

  /** A standalone task: a registered one-task workflow whose only task has the workflow's name. */
  getTask(name: string): AnyWorkflow | undefined {
    const wf = this.byName.get(name);
    return wf && wf.tasks.size === 1 && wf.tasks.has(name) ? wf : undefined;
  }

  list(): AnyWorkflow[] {
    return [...this.byName.values()];
  }
}
