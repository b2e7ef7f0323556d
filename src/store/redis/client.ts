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

/** Counts what a script call sends: one round trip carrying `commands` commands. */
export interface TrafficCount {
  count(commands: number, script?: LuaScript): void;
}

/**
 * Runs scripts by that strategy and remembers what the server supports. A caller that sends the
 * first try itself (in a pipeline, say) asks `usesFunction` how to send it and hands a failed try
 * to `recover`.
 */
export class ScriptCaller {
  /** False once the server said it has no Functions (Redis before 7). */
  private functions = true;

  constructor(
    private readonly calls: ScriptCalls,
    private readonly traffic: TrafficCount,
  ) {}

  /** Whether `script` goes as FCALL now (else EVALSHA). */
  usesFunction(script: LuaScript): boolean {
    return this.functions && script.fn !== undefined && script.library !== undefined;
  }

  async call(script: LuaScript, keys: string[], args: RedisArg[]): Promise<unknown> {
    if (!this.usesFunction(script)) return this.viaScript(script, keys, args);
    this.traffic.count(1, script);
    try {
      return await this.calls.fcall(script.fn!, keys, args);
    } catch (error) {
      return this.recover(script, keys, args, error);
    }
  }

  /**
   * After a first try failed with `error`: loads the library (a server that lost it: a restart, a
   * FUNCTION FLUSH), falls back to scripts (a server without Functions) or to EVAL (NOSCRIPT), and
   * sends it once more. Any other error is rethrown.
   */
  async recover(script: LuaScript, keys: string[], args: RedisArg[], error: unknown): Promise<unknown> {
    if (isFunctionsUnsupported(error)) {
      this.functions = false;
      return this.viaScript(script, keys, args);
    }
    if (isFunctionMissing(error) && script.fn && script.library) {
      this.traffic.count(1, script);
      // REPLACE: two processes loading the same library at once both succeed.
      await this.calls.loadLibrary(script.library.code);
      this.traffic.count(1, script);
      return this.calls.fcall(script.fn, keys, args);
    }
    if (!isNoScript(error)) throw error;
    this.traffic.count(1, script);
    return this.calls.eval(script.lua, keys, args);
  }

  private async viaScript(script: LuaScript, keys: string[], args: RedisArg[]): Promise<unknown> {
    this.traffic.count(1, script);
    try {
      return await this.calls.evalsha(script.sha, keys, args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      this.traffic.count(1, script);
      return this.calls.eval(script.lua, keys, args);
    }
  }
}

/** `calls` for an ioredis client. */
export function ioredisScriptCalls(redis: IORedis): ScriptCalls {
  return {
    fcall: (fn, keys, args) => redis.call('FCALL', fn, keys.length, ...keys, ...args),
    loadLibrary: (code) => redis.call('FUNCTION', 'LOAD', 'REPLACE', code),
    evalsha: (sha, keys, args) => redis.evalsha(sha, keys.length, ...keys, ...args),
    eval: (lua, keys, args) => redis.eval(lua, keys.length, ...keys, ...args),
  };
}

/** Counters shared by the adapters. */
export class TrafficCounter implements TrafficCount {
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
  const caller = new ScriptCaller(ioredisScriptCalls(redis), traffic);
  return {
    get roundTrips() {
      return traffic.roundTrips;
    },
    get commands() {
      return traffic.commands;
    },
    evalScript: (script, keys, args) => caller.call(script, keys, args),
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
