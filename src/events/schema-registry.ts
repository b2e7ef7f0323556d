import type { z } from 'zod';
import { EVENT_TYPE_PATTERN } from './attribute-formats.js';
import { fromZodIssues, type Issue, requiredFieldMessages } from './issues.js';

type SchemaMap = Record<string, z.ZodType>;

export type ValidationResult = { ok: true } | { ok: false; issues: Issue[] };
export type DataResult<T> = { ok: true; data: T } | { ok: false; issues: Issue[] };

/** The parts of an event the registry looks at. */
export interface EventData {
  type: string;
  data?: unknown;
  data_base64?: unknown;
}

/**
 * zod schemas for the `data` of event types. Unknown types pass, unless they fall under a strict
 * namespace (`orchestration` covers `orchestration.task.trigger`), where every type must be
 * registered. The type parameter remembers what was registered, so `parseData` is typed.
 *
 * @example
 * const registry = new SchemaRegistry()
 *   .register('orders.created', z.object({ order_id: z.string() }))
 *   .strictNamespace('orders');
 * registry.validate(event); // { ok: false, issues: [{ path: 'data.order_id', message: 'required' }] }
 */
export class SchemaRegistry<M extends SchemaMap = Record<never, never>> {
  readonly #schemas = new Map<string, z.ZodType>();
  readonly #strict = new Set<string>();

  /**
   * Sets the schema of a type's `data`.
   * @throws {Error} when the type is malformed or already has a different schema.
   */
  register<T extends string, S extends z.ZodType>(type: T, schema: S): SchemaRegistry<M & Record<T, S>> {
    if (!EVENT_TYPE_PATTERN.test(type)) throw new Error(`cannot register malformed event type "${type}"`);
    const existing = this.#schemas.get(type);
    if (existing !== undefined && existing !== schema) {
      throw new Error(`event type "${type}" already has a schema`);
    }
    this.#schemas.set(type, schema);
    return this as unknown as SchemaRegistry<M & Record<T, S>>;
  }

  /** Every type under `namespace` (itself or `namespace.*`, any depth) must now be registered. */
  strictNamespace(namespace: string): this {
    if (!EVENT_TYPE_PATTERN.test(namespace)) throw new Error(`malformed namespace "${namespace}"`);
    this.#strict.add(namespace);
    return this;
  }

  isStrict(type: string): boolean {
    for (const namespace of this.#strict) {
      if (type === namespace || type.startsWith(`${namespace}.`)) return true;
    }
    return false;
  }

  has(type: string): boolean {
    return this.#schemas.has(type);
  }

  get<T extends string>(type: T): (T extends keyof M ? M[T] : z.ZodType) | undefined {
    return this.#schemas.get(type) as (T extends keyof M ? M[T] : z.ZodType) | undefined;
  }

  /** Registered types, in registration order. */
  types(): string[] {
    return [...this.#schemas.keys()];
  }

  /** Checks an event's data against its type's schema; issue paths start with `data`. */
  validate(event: EventData): ValidationResult {
    const schema = this.#schemas.get(event.type);
    if (schema === undefined) {
      if (!this.isStrict(event.type)) return { ok: true };
      return {
        ok: false,
        issues: [{ path: 'type', message: `unknown event type "${event.type}" in a strict namespace` }],
      };
    }
    const result = this.#check(schema, event);
    return result.ok ? { ok: true } : result;
  }

  /** Parses the data of a registered type, returning zod's output (defaults applied). */
  parseData<T extends keyof M & string>(type: T, data: unknown): DataResult<z.output<M[T]>> {
    const schema = this.#schemas.get(type);
    if (schema === undefined)
      return { ok: false, issues: [{ path: 'type', message: `no schema for "${type}"` }] };
    return this.#check(schema, { type, data }) as DataResult<z.output<M[T]>>;
  }

  #check(schema: z.ZodType, event: EventData): DataResult<unknown> {
    if (event.data === undefined && event.data_base64 !== undefined) {
      return { ok: false, issues: [{ path: 'data', message: 'expected JSON data, got data_base64' }] };
    }
    const parsed = schema.safeParse(event.data, { error: requiredFieldMessages });
    if (parsed.success) return { ok: true, data: parsed.data };
    return { ok: false, issues: fromZodIssues(parsed.error.issues, 'data') };
  }
}
