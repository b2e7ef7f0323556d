/**
 * Compile-time guarantees of the builder. `tsc --noEmit` (part of `npm test`) fails if an
 * `@ts-expect-error` below stops being an error; vitest runs the file too, so each case is also executed
 * (inside functions that are never called when the definition would throw).
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type DynamicWorkflow,
  defineTask,
  defineWorkflow,
  type TaskContext,
  trigger,
  type Workflow,
  type WorkflowDefinition,
} from '../../src/orchestration/index.js';

const wf = defineWorkflow({ name: 'typed', input: z.object({ email: z.string(), age: z.coerce.number() }) })
  .task(
    'createAccount',
    { retry: { maxAttempts: 3 } },
    {
      run: async (ctx) => {
        expectTypeOf(ctx.input).toEqualTypeOf<{ email: string; age: number }>();
        // @ts-expect-error a task without dependencies has no deps
        ctx.deps.anything;
        return { accountId: '1' };
      },
      compensate: async (ctx) => {
        expectTypeOf(ctx.result).toEqualTypeOf<{ accountId: string }>();
      },
    },
  )
  .task('provisionDb', { dependsOn: ['createAccount'], priority: 'HIGH', timeout: 5_000 }, async (ctx) => {
    expectTypeOf(ctx.deps).toEqualTypeOf<Readonly<{ createAccount: { accountId: string } }>>();
    return ctx.deps.createAccount.accountId;
  })
  .task('sendWelcome', { dependsOn: ['provisionDb', 'createAccount'] }, (ctx) => {
    expectTypeOf(ctx.deps.provisionDb).toEqualTypeOf<string>();
    expectTypeOf(ctx.deps.createAccount.accountId).toEqualTypeOf<string>();
    return ctx.deps.provisionDb.length > 0;
  });

describe('typed workflow definitions', () => {
  it('accumulates the result type of every task', () => {
    expectTypeOf(wf).toEqualTypeOf<
      Workflow<
        { email: string; age: number },
        { createAccount: { accountId: string }; provisionDb: string; sendWelcome: boolean }
      >
    >();
    expectTypeOf(wf.parseInput).returns.toEqualTypeOf<{ email: string; age: number }>();
  });

  it('refuses an unknown dependsOn name', () => {
    const define = () =>
      // @ts-expect-error 'ghost' is not a task of this workflow
      wf.task('late', { dependsOn: ['ghost'] }, () => 1);
    expectTypeOf(define).toBeFunction();
  });

  it('refuses a dependency defined later (definition order is the rule)', () => {
    const define = () =>
      defineWorkflow({ name: 'w' })
        // @ts-expect-error 'b' is not defined yet
        .task('a', { dependsOn: ['b'] }, () => 1)
        .task('b', () => 2);
    expectTypeOf(define).toBeFunction();
  });

  it('refuses a wrong property of a dependency and a task that is not a dependency', () => {
    defineWorkflow({ name: 'w' })
      .task('a', () => ({ id: 1 }))
      .task('b', () => 'b')
      .task('c', { dependsOn: ['a'] }, (ctx) => {
        // @ts-expect-error 'a' returns { id }, not { name }
        ctx.deps.a.name;
        // @ts-expect-error 'b' is not a dependency of 'c'
        ctx.deps.b;
        return ctx.deps.a.id;
      });
  });

  it('refuses a duplicate task name', () => {
    const define = () =>
      defineWorkflow({ name: 'w' })
        .task('a', () => 1)
        // @ts-expect-error 'a' is already defined
        .task('a', () => 2);
    expectTypeOf(define).toBeFunction();
  });

  it('refuses an unknown priority and an unknown option', () => {
    const define = () => {
      // @ts-expect-error not a Priority
      defineWorkflow({ name: 'w' }).task('a', { priority: 'URGENT' }, () => 1);
      // @ts-expect-error typo of 'retry'
      defineWorkflow({ name: 'w' }).task('a', { retries: 3 }, () => 1);
    };
    expectTypeOf(define).toBeFunction();
  });

  it('types the concurrency key and the task context', () => {
    defineWorkflow({ name: 'w', input: z.object({ tenant: z.string() }) }).task(
      'a',
      { concurrency: { limit: 1, key: (c) => c.input.tenant } },
      (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<TaskContext<{ tenant: string }, Record<never, never>>>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(ctx.idempotencyKey).toEqualTypeOf<string>();
        return null;
      },
    );
  });

  it('types trigger data by its schema and its input mapping by the workflow input', () => {
    const define = () => {
      defineWorkflow({
        name: 'w',
        input: z.object({ email: z.string() }),
        triggers: [
          trigger({
            type: 'trial.requested',
            schema: z.object({ mail: z.string() }),
            input: (data) => {
              expectTypeOf(data).toEqualTypeOf<{ mail: string }>();
              return { email: data.mail };
            },
          }),
        ],
      });
      defineWorkflow({
        name: 'w',
        input: z.object({ email: z.string() }),
        triggers: [
          // @ts-expect-error the mapping returns { mail }, the workflow wants { email }
          trigger({ type: 't', schema: z.object({ mail: z.string() }), input: (d) => ({ mail: d.mail }) }),
        ],
      });
    };
    expectTypeOf(define).toBeFunction();
  });

  it('types a standalone task', () => {
    const task = defineTask(
      'resize',
      { input: z.object({ url: z.string() }) },
      async (ctx) => ctx.input.url.length,
    );
    expectTypeOf(task).toEqualTypeOf<Workflow<{ url: string }, { resize: number }>>();
  });

  it('lets code assemble a workflow from data, and any workflow fit a registry', () => {
    let dynamic: DynamicWorkflow = defineWorkflow({ name: 'from-data' });
    for (const step of [{ name: 'a', after: [] as string[] }]) {
      dynamic = dynamic.task(step.name, { dependsOn: step.after }, (ctx) => {
        expectTypeOf(ctx.deps).toEqualTypeOf<Readonly<Record<string, unknown>>>();
        return 1;
      });
    }
    const registry = new Map<string, WorkflowDefinition>([
      ['typed', wf],
      ['dynamic', dynamic],
    ]);
    expectTypeOf(registry.get('typed')!.parseInput).returns.toBeUnknown();
  });
});
