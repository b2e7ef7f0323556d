/**
 * Workflow definitions: a typed builder over the task graph. Each `.task()` returns a new, validated,
 * immutable workflow whose type knows every task's result, so `dependsOn` only accepts tasks already
 * defined and `ctx.deps.<name>` has that task's result type. The same rule holds at run time
 * (a dependency must be defined before its dependents), which keeps the graph acyclic by construction;
 * definitions generated from data can be ordered first with `topologicalOrder()` from `dag.ts`.
 */
import type { z } from 'zod';
import { PRIORITIES, type Priority, type StoredCloudEvent, type TaskSpec } from '../store/index.js';
import { planLevels } from './dag.js';
import { InvalidInputError, WorkflowDefinitionError } from './errors.js';
import { type RetryOptions, type RetryPolicy, retryPolicy } from './retry.js';
import type { CompensationHandler, ConcurrencyOptions, TaskHandler } from './task-context.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type NoTasks = Record<never, never>;
/** The run input a schema produces (`unknown` without a schema). */
export type InputOf<S> = S extends z.ZodType ? z.output<S> : unknown;
/** What a schema accepts, before parsing. */
export type RawInputOf<S> = S extends z.ZodType ? z.input<S> : unknown;

/**
 * Starts runs from bus events (used by the bridge). Build it with {@link trigger} to type `data` by `schema`.
 * Without `input`, the event's `data` is the run input.
 */
export interface WorkflowTrigger<In = unknown, Data = unknown> {
  /** Exact CloudEvent type. */
  readonly type: string;
  /** Checks `event.data`; a mismatch refuses the event (`InvalidInputError`). */
  readonly schema?: z.ZodType<Data>;
  input?(data: Data, event: StoredCloudEvent): In;
  /** Runs started by events with the same key are started one at a time, in publish order. */
  orderingKey?(data: Data, event: StoredCloudEvent): string;
}

/**
 * A trigger whose `data` is typed by its `schema`.
 *
 * @example
 * trigger({ type: 'trial.requested', schema: z.object({ mail: z.string() }), input: (d) => ({ email: d.mail }) })
 */
export function trigger<S extends z.ZodType | undefined = undefined, In = never>(definition: {
  type: string;
  schema?: S;
  input?: (data: InputOf<S>, event: StoredCloudEvent) => In;
  orderingKey?: (data: InputOf<S>, event: StoredCloudEvent) => string;
}): WorkflowTrigger<In, InputOf<S>> {
  return definition as WorkflowTrigger<In, InputOf<S>>;
}

export interface WorkflowConfig<S extends z.ZodType | undefined> {
  /** Letters, digits, `_`, `.`, `-`; starts with a letter or digit; at most 128 characters. */
  name: string;
  /** Schema of the run input; `ctx.input` is typed by its output. */
  input?: S;
  triggers?: readonly WorkflowTrigger<RawInputOf<S>>[];
}

export interface TaskOptions<Input = unknown, DepNames extends readonly string[] = readonly string[]> {
  /** Tasks whose results this one needs; it starts when all have completed. */
  dependsOn?: DepNames;
  retry?: RetryOptions;
  /** Milliseconds an attempt may run before it is aborted and counted as failed. */
  timeout?: number;
  /** Default `NORMAL`; a run can override it for all its tasks. */
  priority?: Priority;
  concurrency?: ConcurrencyOptions<Input>;
  /** Retry policy of the compensation (default: the task's `retry`). */
  compensationRetry?: RetryOptions;
}

/** A handler with its saga compensation (in one object so that `ctx.result` is typed by `run`). */
export interface TaskHandlers<Input, Deps, Result> {
  run: TaskHandler<Input, Deps, Result>;
  compensate?: CompensationHandler<Input, Deps, Awaited<Result>>;
}

export type TaskBody<Input, Deps, Result> =
  | TaskHandler<Input, Deps, Result>
  | TaskHandlers<Input, Deps, Result>;

/** A task as the engine runs it: options resolved and checked. */
export interface TaskDefinition<Input = unknown> {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly priority: Priority;
  readonly retry: RetryPolicy;
  readonly compensationRetry: RetryPolicy;
  readonly timeoutMs?: number;
  readonly concurrency?: ConcurrencyOptions<Input>;
  // Method syntax: a task typed by its own deps must fit the workflow-wide map.
  run(ctx: Parameters<TaskHandler<Input>>[0]): unknown;
  compensate?(ctx: Parameters<CompensationHandler<Input>>[0]): unknown;
}

type NewName<Name extends string, Results> = string extends keyof Results
  ? Name // a DynamicWorkflow: names are checked at run time only
  : Name extends keyof Results
    ? `task '${Name}' is already defined`
    : Name;
type DepsOf<Results, N extends readonly unknown[]> = Simplify<Pick<Results, N[number] & keyof Results>>;
type With<Results, Name extends string, R> = string extends Name | keyof Results
  ? Record<string, unknown> // dynamic names: see DynamicWorkflow
  : Simplify<Results & { [K in Name]: Awaited<R> }>;

/**
 * A finished workflow as the engine, the bridge and registries see it, whatever its task types
 * (every `Workflow` is one).
 */
export interface WorkflowDefinition<Input = unknown> {
  readonly name: string;
  /** In definition order (which is a topological order). */
  readonly tasks: ReadonlyMap<string, TaskDefinition<Input>>;
  readonly triggers: readonly WorkflowTrigger[];
  /** Topological levels: each level's tasks may run in parallel once the previous levels completed. */
  plan(): string[][];
  /** The levels end to end. */
  topologicalOrder(): string[];
  /** What the store persists for a run, in topological order; `priority` overrides every task's priority. */
  toTaskSpecs(priority?: Priority): TaskSpec[];
  /** Validates a run input; throws `InvalidInputError`. */
  parseInput(input: unknown): Input;
  /** The run an event starts: the first trigger of its type, or `undefined`. Throws `InvalidInputError`. */
  fromEvent(event: StoredCloudEvent): { input: Input; orderingKey?: string } | undefined;
}

/** A workflow whose type knows its input and every task's result; `.task()` returns a bigger one. */
export interface Workflow<Input = unknown, Results = NoTasks> extends WorkflowDefinition<Input> {
  /** Compile-time only: `typeof wf.$types.results`. */
  readonly $types?: { input: Input; results: Results };

  /** Adds a task with default options. */
  task<const Name extends string, R>(
    name: NewName<Name, Results>,
    body: TaskBody<Input, NoTasks, R>,
  ): Workflow<Input, With<Results, Name, R>>;
  /** Adds a task. Throws `WorkflowDefinitionError` for a bad name, option or dependency. */
  task<const Name extends string, R, const N extends readonly (keyof Results & string)[] = []>(
    name: NewName<Name, Results>,
    options: TaskOptions<Input, N>,
    body: TaskBody<Input, DepsOf<Results, N>, R>,
  ): Workflow<Input, With<Results, Name, R>>;
}

/**
 * A workflow assembled from data (names not known to the compiler): any name is accepted as a task or
 * a dependency at compile time and checked at run time; `ctx.deps` values are `unknown`.
 *
 * @example
 * let wf: DynamicWorkflow = defineWorkflow({ name: 'etl' });
 * for (const step of steps) wf = wf.task(step.name, { dependsOn: step.after }, run(step));
 */
export type DynamicWorkflow<Input = unknown> = Workflow<Input, Record<string, unknown>>;

/**
 * Defines a workflow; add its tasks with `.task()`.
 *
 * @example
 * const wf = defineWorkflow({ name: 'trial-provisioning', input: z.object({ email: z.string() }) })
 *   .task('createAccount', { retry: { maxAttempts: 3 } }, {
 *     run: async (ctx) => ({ accountId: await accounts.create(ctx.input.email, ctx.idempotencyKey) }),
 *     compensate: async (ctx) => accounts.delete(ctx.result.accountId),
 *   })
 *   .task('provisionDb', { dependsOn: ['createAccount'], priority: 'HIGH', timeout: 5_000 },
 *     async (ctx) => db.provision(ctx.deps.createAccount.accountId));
 */
export function defineWorkflow<S extends z.ZodType | undefined = undefined>(
  config: WorkflowConfig<S>,
): Workflow<InputOf<S>> {
  const { name, input, triggers = [] } = config;
  checkName('workflow', name);
  if (input !== undefined && typeof (input as { safeParse?: unknown })?.safeParse !== 'function') {
    fail(`workflow '${name}': input must be a zod schema`);
  }
  for (const t of triggers) {
    if (typeof t?.type !== 'string' || t.type === '') fail(`workflow '${name}': a trigger needs a type`);
    // A pattern would subscribe to many types while the trigger's schema, input and ordering key
    // apply to its one exact type only.
    if (/[*#]/.test(t.type)) {
      fail(`workflow '${name}': trigger type '${t.type}' must be an exact event type, not a pattern`);
    }
    checkFunctions(`workflow '${name}' trigger '${t.type}'`, t, ['input', 'orderingKey']);
  }
  return new WorkflowImpl<InputOf<S>>(name, input, [...triggers], []);
}

/**
 * A single task, runnable on its own (`orchestration.task.trigger`): a one-task workflow of the same name.
 *
 * @example
 * const resize = defineTask('resize-image', { input: z.object({ url: z.string() }), timeout: 30_000 },
 *   async (ctx) => ({ thumb: await thumbnail(ctx.input.url) }));
 */
export function defineTask<const Name extends string, R, S extends z.ZodType | undefined = undefined>(
  name: Name,
  options: Omit<TaskOptions<InputOf<S>, []>, 'dependsOn'> & Omit<WorkflowConfig<S>, 'name'>,
  body: TaskBody<InputOf<S>, NoTasks, R>,
): Workflow<InputOf<S>, { [K in Name]: Awaited<R> }> {
  const { input, triggers, ...taskOptions } = options;
  const config: WorkflowConfig<S> = { name };
  if (input !== undefined) config.input = input;
  if (triggers !== undefined) config.triggers = triggers;
  return defineWorkflow(config).task(name as never, taskOptions, body) as never;
}

const NAME = /^[A-Za-z0-9][\w.-]{0,127}$/;
const OPTION_KEYS = new Set([
  'dependsOn',
  'retry',
  'timeout',
  'priority',
  'concurrency',
  'compensationRetry',
]);

class WorkflowImpl<Input> implements Workflow<Input, never> {
  readonly tasks: ReadonlyMap<string, TaskDefinition<Input>>;
  private readonly levels: readonly (readonly string[])[];

  constructor(
    readonly name: string,
    private readonly schema: z.ZodType | undefined,
    readonly triggers: readonly WorkflowTrigger[],
    definitions: readonly TaskDefinition<Input>[],
  ) {
    this.tasks = new Map(definitions.map((d) => [d.name, d]));
    this.levels = planLevels(definitions, `workflow '${name}': `);
  }

  task(name: string, ...rest: unknown[]): never {
    const [options, body] = rest.length >= 2 ? rest : [{}, rest[0]];
    const definition = toDefinition<Input>(`workflow '${this.name}'`, name, options, body);
    const all = [...this.tasks.values(), definition];
    return new WorkflowImpl<Input>(this.name, this.schema, this.triggers, all) as never;
  }

  plan(): string[][] {
    return this.levels.map((level) => [...level]);
  }

  topologicalOrder(): string[] {
    return this.levels.flat();
  }

  toTaskSpecs(priority?: Priority): TaskSpec[] {
    if (priority !== undefined && !PRIORITIES.includes(priority)) {
      throw new InvalidInputError(this.name, `unknown priority '${String(priority)}'`);
    }
    return this.topologicalOrder().map((name, topoIndex) => {
      const task = this.tasks.get(name)!;
      return {
        name,
        dependsOn: [...task.dependsOn],
        priority: priority ?? task.priority,
        maxAttempts: task.retry.maxAttempts,
        compensationMaxAttempts: task.compensationRetry.maxAttempts,
        compensable: task.compensate !== undefined,
        topoIndex,
      };
    });
  }

  parseInput(input: unknown): Input {
    return (this.schema ? validate(this.name, this.schema, input, 'input') : input) as Input;
  }

  fromEvent(event: StoredCloudEvent): { input: Input; orderingKey?: string } | undefined {
    const match = this.triggers.find((t) => t.type === event.type);
    if (!match) return undefined;
    const data = match.schema
      ? validate(this.name, match.schema, event.data, `'${event.type}' data`)
      : event.data;
    let mapped: unknown;
    try {
      mapped = match.input ? match.input(data, event) : data;
    } catch (error) {
      // The mapping cannot make an input of this event: as invalid as data its schema refuses.
      throw new InvalidInputError(this.name, `the '${event.type}' trigger's input mapping failed: ${error}`, {
        cause: error,
      });
    }
    const input = this.parseInput(mapped);
    const orderingKey = this.orderingKeyOf(match, data, event);
    return orderingKey === undefined ? { input } : { input, orderingKey };
  }

  /** The trigger's ordering key; none when its function throws (the event is still ordered by subject). */
  private orderingKeyOf(match: WorkflowTrigger, data: unknown, event: StoredCloudEvent): string | undefined {
    try {
      return match.orderingKey?.(data as never, event);
    } catch {
      return undefined;
    }
  }
}

function validate(workflow: string, schema: z.ZodType, value: unknown, what: string): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new InvalidInputError(workflow, `${what}: ${issues}`, { cause: parsed.error });
}

function toDefinition<Input>(
  where: string,
  name: string,
  options: unknown,
  body: unknown,
): TaskDefinition<Input> {
  checkName(`${where} task`, name);
  const at = `${where} task '${name}'`;
  if (typeof options !== 'object' || options === null) fail(`${at}: options must be an object`);
  const unknownKey = Object.keys(options).find((k) => !OPTION_KEYS.has(k));
  if (unknownKey) fail(`${at}: unknown option '${unknownKey}'`);
  const {
    dependsOn = [],
    retry,
    timeout,
    priority = 'NORMAL',
    concurrency,
    compensationRetry,
  } = options as TaskOptions<Input>;
  if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
    fail(`${at}: dependsOn must be an array of task names`);
  }
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    fail(`${at}: timeout must be a positive number of ms, got ${timeout}`);
  }
  if (!PRIORITIES.includes(priority)) fail(`${at}: priority must be one of ${PRIORITIES.join(', ')}`);
  if (concurrency !== undefined) {
    if (!Number.isInteger(concurrency?.limit) || concurrency.limit < 1)
      fail(`${at}: concurrency.limit must be an integer >= 1`);
    checkFunctions(`${at} concurrency`, concurrency, ['key']);
  }
  const handlers = (typeof body === 'function' ? { run: body } : body) as TaskHandlers<
    Input,
    unknown,
    unknown
  >;
  if (typeof handlers?.run !== 'function')
    fail(`${at}: the handler must be a function or { run, compensate? }`);
  checkFunctions(at, handlers, ['compensate']);
  const definition: TaskDefinition<Input> = {
    name,
    dependsOn: [...dependsOn],
    priority,
    retry: retryPolicy(retry),
    compensationRetry: retryPolicy(compensationRetry ?? retry),
    ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    ...(concurrency === undefined ? {} : { concurrency: { ...concurrency } }),
    run: handlers.run as TaskDefinition<Input>['run'],
    ...(handlers.compensate
      ? { compensate: handlers.compensate as TaskDefinition<Input>['compensate'] }
      : {}),
  };
  return Object.freeze(definition);
}

function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new WorkflowDefinitionError(
      `${what} name '${String(name)}' is invalid: use letters, digits, '_', '.', '-' (at most 128, starting with a letter or digit)`,
      { code: 'invalid_name' },
    );
  }
}

function checkFunctions(at: string, value: object, keys: readonly string[]): void {
  for (const key of keys) {
    const fn = (value as Record<string, unknown>)[key];
    if (fn !== undefined && typeof fn !== 'function') fail(`${at}: ${key} must be a function`);
  }
}

function fail(message: string): never {
  throw new WorkflowDefinitionError(message, { code: 'invalid_option' });
}
