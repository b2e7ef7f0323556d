import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis as UpstashRedis } from '@upstash/redis';
import { afterEach, describe, expect, it } from 'vitest';
import { compileLibrary, compileScripts } from '../../scripts/build-lua.js';
import { StoreKeys } from '../../src/store/keys.js';
import type { LuaScript } from '../../src/store/lua/script.js';
import { fromIoredis, fromUpstash, RedisStore } from '../../src/store/redis/index.js';
import { decodeReply } from '../../src/store/redis/reply.js';
import { ScriptRunner } from '../../src/transport/redis/script-runner.js';
import { runId, runInput, T0, task } from '../contract/fixtures.js';
import { redisNamespace } from '../contract/redis-namespace.js';
import { REDIS_URL } from '../support/redis.js';

const LUA_DIR = join(import.meta.dirname, '..', '..', 'src', 'store', 'lua');

function freshScript(body: string, numberOfKeys = 0): LuaScript {
  const name = `waooaw:test-${randomUUID()}:probe`;
  const lua = `-- ${name}\n${body}`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex'), numberOfKeys };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function namespace() {
  const ns = redisNamespace();
  cleanups.push(ns.cleanup);
  return ns;
}

describe('ioredis adapter', () => {
  it('falls back from EVALSHA to EVAL for a script Redis has never seen, then uses EVALSHA', async () => {
    const ns = namespace();
    const client = fromIoredis(ns.redis, { closeClient: false });
    const script = freshScript("redis.call('SET', KEYS[1], ARGV[1]); return ARGV[1]", 1);
    expect(await client.evalScript(script, [`${ns.prefix}probe`], ['hello'])).toBe('hello');
    expect({ roundTrips: client.roundTrips, commands: client.commands }).toEqual({
      roundTrips: 2,
      commands: 2,
    });
    expect(await client.evalScript(script, [`${ns.prefix}probe`], [42])).toBe('42');
    expect({ roundTrips: client.roundTrips, commands: client.commands }).toEqual({
      roundTrips: 3,
      commands: 3,
    });
    expect(await ns.redis.get(`${ns.prefix}probe`)).toBe('42');
  });

  it('passes script errors through and pipelines plain commands in one round trip', async () => {
    const ns = namespace();
    const client = fromIoredis(ns.redis, { closeClient: false });
    await expect(client.evalScript(freshScript("error('boom')"), [], [])).rejects.toThrow(/boom/);
    expect(await client.pipeline([])).toEqual([]);
    const before = client.roundTrips;
    const replies = await client.pipeline([
      ['SET', `${ns.prefix}a`, 1],
      ['GET', `${ns.prefix}a`],
    ]);
    expect(replies).toEqual(['OK', '1']);
    expect(client.roundTrips).toBe(before + 1);
    await expect(client.pipeline([['HGET', `${ns.prefix}a`, 'x']])).rejects.toThrow(/WRONGTYPE/);
  });

  it('closes the connection it owns', async () => {
    const { Redis } = await import('ioredis');
    const own = new Redis(REDIS_URL);
    await own.ping();
    const store = new RedisStore(fromIoredis(own));
    await store.close();
    await expect(own.ping()).rejects.toThrow();
  });
});

describe('Lua transition guard', () => {
  it('refuses a transition missing from the model.ts table, from inside Redis', async () => {
    const ns = namespace();
    const dir = await mkdtemp(join(tmpdir(), 'waooaw-guard-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await symlink(join(LUA_DIR, 'includes'), join(dir, 'includes'));
    await writeFile(
      join(dir, 'moveTask.lua'),
      [
        '-- moveTask (test only): KEYS[1] meta KEYS[2] tasks KEYS[3] results KEYS[4] deadlines KEYS[5] stats',
        '--- @include "includes/keys"',
        '--- @include "includes/engine"',
        'local ctx = runContextFromKeys(ARGV[1], 0)',
        'moveTask(ctx, ARGV[2], ARGV[3])',
        "return taskGet(ctx, ARGV[2], 'state')",
      ].join('\n'),
    );
    const [moveTask] = await compileScripts(dir, `test-${randomUUID()}`);
    const client = fromIoredis(ns.redis, { closeClient: false });
    const store = new RedisStore(client, { prefix: ns.prefix });
    const id = runId();
    await store.createRun(runInput(id, [task('a'), task('b', ['a'])]));
    const k = new StoreKeys(ns.prefix).run(id);
    const keys = [k.meta, k.tasks, k.results, k.deadlines, k.stats];
    await expect(client.evalScript(moveTask!, keys, [id, 'b', 'running'])).rejects.toThrow(
      /illegal task transition pending -> running/,
    );
    expect(await client.evalScript(moveTask!, keys, [id, 'a', 'running'])).toBe('running');
    expect((await store.queueStats()).running).toBe(1);
  });
});

describe('RedisStore traffic', () => {
  it('costs one round trip and one command per operation once scripts are loaded', async () => {
    const ns = namespace();
    const store = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), { prefix: ns.prefix });
    const warm = runId();
    const id = runId();
    const flow = async (
      run: string,
      measure: (label: string, op: () => Promise<unknown>) => Promise<void>,
    ) => {
      await measure('createRun', () => store.createRun(runInput(run, [task('a'), task('b', ['a'])])));
      await measure('leaseAttempt', () =>
        store.leaseAttempt({
          runId: run,
          task: 'a',
          attempt: 1,
          phase: 'execute',
          workerId: 'w',
          now: T0,
          leaseMs: 1000,
        }),
      );
      await measure('completeAttempt', () =>
        store.completeAttempt({ runId: run, task: 'a', attempt: 1, phase: 'execute', result: 1, now: T0 }),
      );
      await measure('failAttempt', () =>
        store.failAttempt({ runId: run, task: 'b', attempt: 1, phase: 'execute', error: 'x', now: T0 }),
      );
      await measure('expireLeases', () => store.expireLeases({ now: T0, limit: 10, queuedTimeoutMs: 1000 }));
      await measure('cancelRun', () => store.cancelRun({ runId: run, now: T0 }));
      await measure('getRun', () => store.getRun(run));
      await measure('queueStats', () => store.queueStats());
      await measure('appendEvents', () =>
        store.appendEvents([{ id: 'e', type: 't', source: 's', specversion: '1.0' }], T0),
      );
      await measure('readEvents', () => store.readEvents({ limit: 10 }));
      await measure('subscriptionsVersion', () => store.subscriptionsVersion());
    };
    await flow(warm, async (_label, op) => {
      await op();
    });
    const costs: Record<string, [number, number]> = {};
    await flow(id, async (label, op) => {
      const before = store.traffic;
      await op();
      costs[label] = [store.traffic.roundTrips - before.roundTrips, store.traffic.commands - before.commands];
    });
    for (const cost of Object.values(costs)) expect(cost).toEqual([1, 1]);
  });
});

describe('Upstash adapter', () => {
  it('tries EVALSHA, falls back to EVAL on NOSCRIPT and counts both', async () => {
    const calls: string[] = [];
    const fake = {
      async evalsha(sha: string, keys: string[], args: string[]) {
        calls.push(`evalsha ${sha.slice(0, 4)} ${keys.join(',')} ${args.join(',')}`);
        if (calls.length === 1) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        if (calls.length === 4) throw new Error('ERR boom');
        return { parsed: true };
      },
      async eval(_lua: string, keys: string[], args: string[]) {
        calls.push(`eval ${keys.join(',')} ${args.join(',')}`);
        return '{"parsed":false}';
      },
      async exec(command: string[]) {
        calls.push(`exec ${command.join(' ')}`);
        return '7';
      },
    };
    const client = fromUpstash(fake as unknown as UpstashRedis);
    const script = freshScript('return 1', 1);
    expect(decodeReply(await client.evalScript(script, ['k'], [1, 'a']), 'x')).toEqual({ parsed: false });
    expect(decodeReply(await client.evalScript(script, ['k'], [2]), 'x')).toEqual({ parsed: true });
    await expect(client.evalScript(script, ['k'], [3])).rejects.toThrow('ERR boom');
    expect(
      await client.pipeline([
        ['GET', 'k'],
        ['INCR', 'n'],
      ]),
    ).toEqual(['7', '7']);
    expect(calls).toEqual([
      `evalsha ${script.sha.slice(0, 4)} k 1,a`,
      'eval k 1,a',
      `evalsha ${script.sha.slice(0, 4)} k 2`,
      `evalsha ${script.sha.slice(0, 4)} k 3`,
      'exec GET k',
      'exec INCR n',
    ]);
    expect({ roundTrips: client.roundTrips, commands: client.commands }).toEqual({
      roundTrips: 6,
      commands: 6,
    });
    await client.close();
  });

  it('decodeReply refuses text that is not JSON', () => {
    expect(() => decodeReply('not json', 'probe')).toThrow('probe: reply is not JSON');
  });
});

describe('Redis Functions', () => {
  /** A script with its own one-function library, named uniquely so tests never share it. */
  async function freshFunction(ns: { redis: { call: (...args: string[]) => Promise<unknown> } }) {
    const dir = await mkdtemp(join(tmpdir(), 'waooaw-fn-'));
    await writeFile(
      join(dir, 'probe.lua'),
      "-- KEYS[1] key\nredis.call('SET', KEYS[1], ARGV[1])\nreturn 'fn:' .. ARGV[1]\n",
    );
    const base = `waooaw_test_${randomUUID().replaceAll('-', '')}`;
    const library = await compileLibrary(dir, base);
    const [built] = await compileScripts(dir);
    await rm(dir, { recursive: true, force: true });
    cleanups.push(async () => {
      await ns.redis.call('FUNCTION', 'DELETE', library.name).catch(() => {});
    });
    const script: LuaScript = {
      name: built!.name,
      lua: built!.lua,
      sha: built!.sha,
      numberOfKeys: 1,
      fn: library.functions.probe!,
      library: { name: library.name, code: library.code },
    };
    return { script, library };
  }

  it('loads the library on the first "Function not found", then calls FCALL alone', async () => {
    const ns = namespace();
    const client = fromIoredis(ns.redis, { closeClient: false });
    const { script, library } = await freshFunction(ns);
    expect(await client.evalScript(script, [`${ns.prefix}fn`], ['a'])).toBe('fn:a');
    // FCALL (missing) + FUNCTION LOAD + FCALL.
    expect(client.roundTrips).toBe(3);
    expect(await client.evalScript(script, [`${ns.prefix}fn`], ['b'])).toBe('fn:b');
    expect(client.roundTrips).toBe(4);
    expect(await ns.redis.get(`${ns.prefix}fn`)).toBe('b');
    // A server that lost its functions (restart, FUNCTION FLUSH) gets the library again.
    await ns.redis.call('FUNCTION', 'DELETE', library.name);
    expect(await client.evalScript(script, [`${ns.prefix}fn`], ['c'])).toBe('fn:c');
  });

  it('recovers a pipelined call the same way (the transport sends its calls in pipelines)', async () => {
    const ns = namespace();
    const { script, library } = await freshFunction(ns);
    const runner = new ScriptRunner(ns.redis);
    const call = (value: string) => ({ script, keys: [`${ns.prefix}fn`], args: [value] });
    expect(await runner.batch([call('a'), call('b')])).toEqual(['fn:a', 'fn:b']);
    // One pipeline (both missing), then for each: FUNCTION LOAD + FCALL.
    expect(runner.roundTrips).toBe(5);
    expect(await runner.batch([call('c')])).toEqual(['fn:c']);
    expect(runner.roundTrips).toBe(6);
    await ns.redis.call('FUNCTION', 'DELETE', library.name);
    expect(await runner.call(call('d'))).toBe('fn:d');
  });

  it('runs the store commands as functions: the libraries are on the server after a run', async () => {
    const ns = namespace();
    const store = new RedisStore(fromIoredis(ns.redis, { closeClient: false }), { prefix: ns.prefix });
    const id = runId();
    await store.createRun(runInput(id, [task('a')]));
    const libraries = JSON.stringify(
      await ns.redis.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'waooaw_store_*'),
    );
    expect(libraries).toContain('createRun');
  });
});
