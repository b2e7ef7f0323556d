import type { Redis } from 'ioredis';
import { isFunctionMissing, isFunctionsUnsupported, isNoScript } from '../../store/redis/client.js';
import type { LuaScript } from './lua/script.js';

export interface ScriptCall {
  script: LuaScript;
  keys: string[];
  args: (string | number)[];
}

/** The failure of one script call, carrying the script's name and the Redis error as `cause`. */
export class TransportScriptError extends Error {
  override readonly name = 'TransportScriptError';
  constructor(
    readonly script: string,
    cause: unknown,
  ) {
    super(`transport script ${script} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** `waooaw:v1:claim` -> `claim`: round trips are counted by command. */
const command = (script: LuaScript) => script.name.slice(script.name.lastIndexOf(':') + 1);

/**
 * Calls the transport's commands as Redis Functions (FCALL; the library is loaded on the first
 * "Function not found"), or on a Redis without Functions with EVALSHA, falling back to EVAL when
 * Redis does not know the script yet. Counts round trips: one per command or pipeline sent.
 */
export class ScriptRunner {
  roundTrips = 0;
  /** False once the server said it has no Functions (Redis before 7). */
  private functions = true;
  readonly roundTripsByOp: Record<string, number> = {};

  constructor(private readonly redis: Redis) {}

  /** Counts one round trip of `op`. */
  count(op: string): void {
    this.roundTrips += 1;
    this.roundTripsByOp[op] = (this.roundTripsByOp[op] ?? 0) + 1;
  }

  async call(call: ScriptCall): Promise<unknown> {
    const [result] = await this.batch([call]);
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Runs several calls in one pipeline (one round trip). Each result is the reply or a
   * `TransportScriptError`; one failing call does not undo the others.
   */
  async batch(calls: ScriptCall[]): Promise<unknown[]> {
    const pipeline = this.redis.pipeline();
    for (const c of calls) {
      const { fn } = c.script;
      if (this.functions && fn) pipeline.call('FCALL', fn, c.script.numberOfKeys, ...c.keys, ...c.args);
      else pipeline.evalsha(c.script.sha, c.script.numberOfKeys, ...c.keys, ...c.args);
    }
    this.count(calls.map((c) => command(c.script)).join('+'));
    const replies = (await pipeline.exec()) ?? [];
    return Promise.all(
      calls.map(async (c, i) => {
        const [error, reply] = replies[i] ?? [new Error('no reply'), null];
        if (!error) return reply;
        try {
          return await this.recover(c, error);
        } catch (retryError) {
          return new TransportScriptError(c.script.name, retryError);
        }
      }),
    );
  }

  /** After a failed call: load the library, or fall back to scripts, and call once more. */
  private async recover(c: ScriptCall, error: unknown): Promise<unknown> {
    const { script } = c;
    if (isFunctionsUnsupported(error)) this.functions = false;
    else if (isFunctionMissing(error) && script.library && script.fn) {
      this.count(`${command(script)}:load`);
      await this.redis.call('FUNCTION', 'LOAD', 'REPLACE', script.library.code);
      this.count(command(script));
      return this.redis.call('FCALL', script.fn, script.numberOfKeys, ...c.keys, ...c.args);
    } else if (!isNoScript(error)) throw error;
    this.count(command(script));
    return this.redis.eval(script.lua, script.numberOfKeys, ...c.keys, ...c.args);
  }
}
