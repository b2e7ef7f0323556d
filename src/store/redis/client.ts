import type { Redis as IORedis } from 'ioredis';
import type { LuaScript } from '../lua/script.js';

export type RedisArg = string | number;

/**
 * The little a RedisStore needs from a client: run a versioned script (EVALSHA, EVAL on NOSCRIPT),
 * send a batch of plain commands in one round trip, and count both for the benchmark.
 */
export interface RedisClientAdapter {
  evalScript(script: LuaScript, keys: string[], args: RedisArg[]): Promise<unknown>;
  /** Plain commands, one round trip; replies in order (an error reply rejects). */
  pipeline(commands: RedisArg[][]): Promise<unknown[]>;
  /** Network round trips and Redis commands sent so far. */
  readonly roundTrips: number;
  readonly commands: number;
  close(): Promise<void>;
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && /NOSCRIPT/i.test(error.message);
}

/** The server has not loaded this function's library (yet, or since a restart or FUNCTION FLUSH). */
export function isFunctionMissing(error: unknown): boolean {
  return error instanceof Error && /function not found/i.test(error.message);
}

/** The server has no Functions at all (Redis before 7): scripts only from then on. */
export function isFunctionsUnsupported(error: unknown): boolean {
  return error instanceof Error && /unknown command|unknown subcommand/i.test(error.message);
}

/**
 * How a script reaches Redis: as a Function (FCALL; its library loaded on the first "Function not
 * found") when the build made one and the server has Functions, else by EVALSHA with EVAL on
 * NOSCRIPT. One strategy for every adapter; each adapter supplies the four calls.
 */
export interface ScriptCalls {
  fcall(fn: string, keys: string[], args: RedisArg[]): Promise<unknown>;
  loadLibrary(code: string): Promise<unknown>;
  evalsha(sha: string, keys: string[], args: RedisArg[]): Promise<unknown>;
  eval(lua: string, keys: string[], args: RedisArg[]): Promise<unknown>;
}

export function scriptRunner(
  calls: ScriptCalls,
  traffic: TrafficCounter,
): (script: LuaScript, keys: string[], args: RedisArg[]) => Promise<unknown> {
  let functions = true;
  const viaScript = async (script: LuaScript, keys: string[], args: RedisArg[]) => {
    traffic.count(1);
    try {
      return await calls.evalsha(script.sha, keys, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      traffic.count(1);
      return calls.eval(script.lua, keys, args);
    }
  };
  return async (script, keys, args) => {
    if (!functions || !script.fn || !script.library) return viaScript(script, keys, args);
    traffic.count(1);
    try {
      return await calls.fcall(script.fn, keys, args);
    } catch (error) {
      if (isFunctionsUnsupported(error)) {
        functions = false;
        return viaScript(script, keys, args);
      }
      if (!isFunctionMissing(error)) throw error;
      traffic.count(1);
      traffic.count(1);
      // REPLACE: two processes loading the same library at once both succeed.
      await calls.loadLibrary(script.library.code);
      return calls.fcall(script.fn, keys, args);
    }
  };
}

/** Counters shared by the adapters. */
export class TrafficCounter {
  roundTrips = 0;
  commands = 0;
  count(commands: number): void {
    this.roundTrips++;
    this.commands += commands;
  }
}

export interface FromIoredisOptions {
  /** Quit the connection on close() (default true: the store owns it). */
  closeClient?: boolean;
}

/**
 * Adapts an ioredis client.
 *
 * @example
 * const store = new RedisStore(fromIoredis(new Redis('redis://127.0.0.1:6379')));
 */
export function fromIoredis(
  redis: IORedis,
  { closeClient = true }: FromIoredisOptions = {},
): RedisClientAdapter {
  const traffic = new TrafficCounter();
  return {
    get roundTrips() {
      return traffic.roundTrips;
    },
    get commands() {
      return traffic.commands;
    },
    evalScript: scriptRunner(
      {
        fcall: (fn, keys, args) => redis.call('FCALL', fn, keys.length, ...keys, ...args),
        loadLibrary: (code) => redis.call('FUNCTION', 'LOAD', 'REPLACE', code),
        evalsha: (sha, keys, args) => redis.evalsha(sha, keys.length, ...keys, ...args),
        eval: (lua, keys, args) => redis.eval(lua, keys.length, ...keys, ...args),
      },
      traffic,
    ),
    async pipeline(commands) {
      if (commands.length === 0) return [];
      traffic.count(commands.length);
      const replies =
        (await redis
          .pipeline(commands.map(([name, ...rest]) => [String(name).toLowerCase(), ...rest]))
          .exec()) ?? [];
      return replies.map(([error, value]) => {
        if (error) throw error;
        return value;
      });
    },
    async close() {
      if (closeClient) await redis.quit();
    },
  };
}
