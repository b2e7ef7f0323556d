import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type DynamicWorkflow,
  defineTask,
  defineWorkflow,
  InvalidInputError,
  type TaskContext,
  trigger,
  WorkflowDefinitionError,
} from '../../src/orchestration/index.js';
import type { StoredCloudEvent } from '../../src/store/index.js';

const signup = defineWorkflow({ name: 'trial-provisioning', input: z.object({ email: z.string().email() }) })
  .task(
    'createAccount',
    { retry: { maxAttempts: 5 }, concurrency: { limit: 2, key: (c) => c.input.email } },
    {
      run: async (ctx) => ({ accountId: `acc-${ctx.input.email}` }),
      compensate: async () => undefined,
    },
  )
  .task('provisionDb', { dependsOn: ['createAccount'], priority: 'HIGH', timeout: 5_000 }, async (ctx) => ({
    db: `db-${ctx.deps.createAccount.accountId}`,
  }))
  .task(
    'sendWelcome',
    { dependsOn: ['provisionDb', 'createAccount'] },
    (ctx) => ctx.deps.provisionDb.db.length,
  );

function context<Deps>(deps: Deps, input: unknown = { email: 'a@b.c' }): TaskContext<never, Deps> {
  return {
    input: input as never,
    deps,
    runId: 'run-1',
    workflow: 'w',
    taskName: 't',
    attempt: 1,
    idempotencyKey: 'run-1:t',
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    signal: new AbortController().signal,
    meta: {},
  };
}

function definitionError(fn: () => unknown): WorkflowDefinitionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowDefinitionError);
    return error as WorkflowDefinitionError;
  }
  throw new Error('expected a WorkflowDefinitionError');
}

describe('defineWorkflow', () => {
  it('resolves task options with their defaults', () => {
    const create = signup.tasks.get('createAccount')!;
    expect(create.retry).toMatchObject({ maxAttempts: 5, baseDelayMs: 1000, jitter: 'full' });
    expect(create.compensationRetry.maxAttempts).toBe(5);
    expect(create.priority).toBe('NORMAL');
    expect(create.timeoutMs).toBeUndefined();
    expect(create.concurrency?.limit).toBe(2);
    expect(typeof create.compensate).toBe('function');
    const db = signup.tasks.get('provisionDb')!;
    expect(db).toMatchObject({ priority: 'HIGH', timeoutMs: 5_000, dependsOn: ['createAccount'] });
    expect(db.retry.maxAttempts).toBe(3);
    expect(db.compensate).toBeUndefined();
    expect(Object.isFrozen(db)).toBe(true);
    expect([...signup.tasks.keys()]).toEqual(['createAccount', 'provisionDb', 'sendWelcome']);
  });

  it('runs handlers with their dependencies', async () => {
    const create = signup.tasks.get('createAccount')!;
    await expect(create.run(context({}))).resolves.toEqual({ accountId: 'acc-a@b.c' });
    const welcome = signup.tasks.get('sendWelcome')!;
    expect(welcome.run(context({ provisionDb: { db: 'db-x' } }))).toBe(4);
    expect(
      create.concurrency?.key?.({
        input: { email: 'k' },
        runId: 'r',
        workflow: 'w',
        taskName: 't',
        meta: {},
      }),
    ).toBe('k');
  });

  it('plans and orders tasks', () => {
    expect(signup.name).toBe('trial-provisioning');
    expect(signup.plan()).toEqual([['createAccount'], ['provisionDb'], ['sendWelcome']]);
    expect(signup.topologicalOrder()).toEqual(['createAccount', 'provisionDb', 'sendWelcome']);
    const plan = signup.plan();
    plan[0]!.push('mutated');
    expect(signup.plan()[0]).toEqual(['createAccount']);
  });

  it('produces the task specs the store persists', () => {
    expect(signup.toTaskSpecs()).toEqual([
      {
        name: 'createAccount',
        dependsOn: [],
        priority: 'NORMAL',
        maxAttempts: 5,
        compensationMaxAttempts: 5,
        compensable: true,
        topoIndex: 0,
      },
      {
        name: 'provisionDb',
        dependsOn: ['createAccount'],
        priority: 'HIGH',
        maxAttempts: 3,
        compensationMaxAttempts: 3,
        compensable: false,
        topoIndex: 1,
      },
      {
        name: 'sendWelcome',
        dependsOn: ['provisionDb', 'createAccount'],
        priority: 'NORMAL',
        maxAttempts: 3,
        compensationMaxAttempts: 3,
        compensable: false,
        topoIndex: 2,
      },
    ]);
    expect(signup.toTaskSpecs('CRITICAL').map((s) => s.priority)).toEqual([
      'CRITICAL',
      'CRITICAL',
      'CRITICAL',
    ]);
    expect(() => signup.toTaskSpecs('URGENT' as never)).toThrow(InvalidInputError);
  });

  it('gives compensations their own retry policy when asked', () => {
    const wf = defineWorkflow({ name: 'w' }).task(
      'a',
      { retry: { maxAttempts: 2 }, compensationRetry: { maxAttempts: 10 } },
      { run: () => 1, compensate: () => undefined },
    );
    expect(wf.toTaskSpecs()[0]).toMatchObject({
      maxAttempts: 2,
      compensationMaxAttempts: 10,
      compensable: true,
    });
  });

  it('is immutable: every task() returns a new workflow', () => {
    const base = defineWorkflow({ name: 'w' }).task('a', () => 1);
    const left = base.task('b', { dependsOn: ['a'] }, () => 2);
    const right = base.task('c', () => 3);
    expect([...base.tasks.keys()]).toEqual(['a']);
    expect([...left.tasks.keys()]).toEqual(['a', 'b']);
    expect([...right.tasks.keys()]).toEqual(['a', 'c']);
    expect(right.plan()).toEqual([['a', 'c']]);
  });

  it('plans a diamond and a 1 -> 10 -> 1 fan-out', () => {
    const diamond = defineWorkflow({ name: 'diamond' })
      .task('a', () => 1)
      .task('b', { dependsOn: ['a'] }, () => 1)
      .task('c', { dependsOn: ['a'] }, () => 1)
      .task('d', { dependsOn: ['c', 'b'] }, () => 1);
    expect(diamond.plan()).toEqual([['a'], ['b', 'c'], ['d']]);

    let fan: DynamicWorkflow = defineWorkflow({ name: 'fan' });
    fan = fan.task('split', () => [1, 2]);
    const middle = Array.from({ length: 10 }, (_, i) => `part${i}`);
    for (const name of middle) fan = fan.task(name, { dependsOn: ['split'] }, () => name);
    fan = fan.task('join', { dependsOn: middle }, () => 'done');
    expect(fan.plan()).toEqual([['split'], middle, ['join']]);
    expect(fan.toTaskSpecs().find((s) => s.name === 'join')?.topoIndex).toBe(11);
  });
});

describe('definition errors', () => {
  const base = defineWorkflow({ name: 'w' }).task('a', () => 1);

  it('names the task and the unknown dependency (dependencies come first)', () => {
    const error = definitionError(() => base.task('b', { dependsOn: ['ghost' as never] }, () => 1));
    // Built from data, a dependency defined later is unknown too: the builder wants dependencies first.
    const dynamic: DynamicWorkflow = defineWorkflow({ name: 'w' });
    expect(definitionError(() => dynamic.task('a', { dependsOn: ['b'] }, () => 1)).code).toBe(
      'unknown_dependency',
    );
    expect(error).toMatchObject({ code: 'unknown_dependency', task: 'b', dependency: 'ghost' });
    expect(error.message).toBe("workflow 'w': task 'b' depends on unknown task 'ghost'");
  });

  it('refuses a duplicate task and a self-dependency', () => {
    expect(definitionError(() => base.task('a' as never, () => 2)).code).toBe('duplicate_task');
    expect(definitionError(() => base.task('b', { dependsOn: ['b' as never] }, () => 2)).code).toBe(
      'self_dependency',
    );
  });

  it.each([
    ['', {}],
    ['has space', {}],
    ['{tag}', {}],
    ['x'.repeat(129), {}],
  ])('refuses the task name %j', (name) => {
    expect(definitionError(() => base.task(name as never, () => 1)).code).toBe('invalid_name');
  });

  it('refuses a bad workflow name or input schema', () => {
    expect(definitionError(() => defineWorkflow({ name: 'a b' })).code).toBe('invalid_name');
    expect(definitionError(() => defineWorkflow({ name: 'w', input: {} as never })).code).toBe(
      'invalid_option',
    );
    expect(() => defineWorkflow({ name: 'w', triggers: [{ type: '' }] })).toThrow('a trigger needs a type');
    // A pattern would match types its schema, input and ordering key were never meant for.
    for (const type of ['order.*', 'order.#', 'order.**']) {
      expect(() => defineWorkflow({ name: 'w', triggers: [{ type }] })).toThrow('not a pattern');
    }
    expect(() => defineWorkflow({ name: 'w', triggers: [{ type: 't', input: 3 as never }] })).toThrow(
      'input must be a function',
    );
  });

  it.each([
    [{ timeout: 0 }, 'timeout must be a positive number'],
    [{ timeout: Number.POSITIVE_INFINITY }, 'timeout must be a positive number'],
    [{ priority: 'URGENT' }, 'priority must be one of CRITICAL, HIGH, NORMAL, LOW'],
    [{ concurrency: { limit: 0 } }, 'concurrency.limit must be an integer >= 1'],
    [{ concurrency: { limit: 1, key: 'tenant' } }, 'key must be a function'],
    [{ dependsOn: 'a' }, 'dependsOn must be an array'],
    [{ retry: { maxAttempts: 0 } }, 'maxAttempts must be an integer >= 1'],
    [{ retries: 3 }, "unknown option 'retries'"],
  ])('refuses the options %o', (options, message) => {
    const error = definitionError(() => base.task('b', options as never, () => 1));
    expect(error.code).toBe('invalid_option');
    expect(error.message).toContain(message);
  });

  it('refuses a missing handler or a bad compensate', () => {
    expect(() => base.task('b', {}, undefined as never)).toThrow('the handler must be a function or { run');
    expect(() => base.task('b', { run: () => 1, compensate: 'no' as never })).toThrow(
      'compensate must be a function',
    );
    expect(() => base.task('b', null as never, () => 1)).toThrow('options must be an object');
  });
});

describe('input and triggers', () => {
  it('parses the run input with the schema', () => {
    expect(signup.parseInput({ email: 'a@b.co', extra: 1 })).toEqual({ email: 'a@b.co' });
    expect(() => signup.parseInput({ email: 'nope' })).toThrow(InvalidInputError);
    expect(() => signup.parseInput({})).toThrow(
      /invalid input for workflow 'trial-provisioning': input: email:/,
    );
  });

  it('passes the input through without a schema', () => {
    const free = defineWorkflow({ name: 'free' });
    const value = { anything: [1] };
    expect(free.parseInput(value)).toBe(value);
  });

  const event = (type: string, data: unknown): StoredCloudEvent => ({
    id: 'e1',
    type,
    source: 'test',
    specversion: '1.0',
    data,
  });

  const triggered = defineWorkflow({
    name: 'triggered',
    input: z.object({ email: z.string() }),
    triggers: [
      trigger({
        type: 'trial.requested',
        schema: z.object({ mail: z.string(), tenant: z.string() }),
        input: (data) => ({ email: data.mail }),
        orderingKey: (data) => data.tenant,
      }),
      { type: 'user.created' },
    ],
  });

  it('maps a matching event to the run input and ordering key', () => {
    expect(triggered.triggers.map((t) => t.type)).toEqual(['trial.requested', 'user.created']);
    expect(triggered.fromEvent(event('trial.requested', { mail: 'x@y.z', tenant: 't1' }))).toEqual({
      input: { email: 'x@y.z' },
      orderingKey: 't1',
    });
    expect(triggered.fromEvent(event('user.created', { email: 'q@r.s' }))).toEqual({
      input: { email: 'q@r.s' },
    });
    expect(triggered.fromEvent(event('other', {}))).toBeUndefined();
  });

  it('refuses an event whose data or mapped input does not match', () => {
    expect(() => triggered.fromEvent(event('trial.requested', { mail: 1 }))).toThrow(
      /'trial.requested' data: mail: .*; tenant: /,
    );
    expect(() => triggered.fromEvent(event('user.created', { mail: 'x' }))).toThrow(InvalidInputError);
  });
});

describe('defineTask', () => {
  it('is a one-task workflow of the same name', async () => {
    const resize = defineTask(
      'resize-image',
      { input: z.object({ url: z.string() }), timeout: 30_000, priority: 'LOW', retry: { maxAttempts: 2 } },
      async (ctx) => ({ thumb: `${ctx.input.url}?w=64` }),
    );
    expect(resize.name).toBe('resize-image');
    expect(resize.plan()).toEqual([['resize-image']]);
    expect(resize.toTaskSpecs()).toEqual([
      {
        name: 'resize-image',
        dependsOn: [],
        priority: 'LOW',
        maxAttempts: 2,
        compensationMaxAttempts: 2,
        compensable: false,
        topoIndex: 0,
      },
    ]);
    expect(resize.parseInput({ url: 'u' })).toEqual({ url: 'u' });
    await expect(resize.tasks.get('resize-image')!.run(context({}, { url: 'u' }))).resolves.toEqual({
      thumb: 'u?w=64',
    });
  });

  it('accepts triggers and works without a schema', () => {
    const ping = defineTask('ping', { triggers: [{ type: 'ping.requested' }] }, () => 'pong');
    expect(ping.fromEvent(event2('ping.requested'))).toEqual({ input: 7 });
  });
});

function event2(type: string): StoredCloudEvent {
  return { id: 'e', type, source: 's', specversion: '1.0', data: 7 };
}
