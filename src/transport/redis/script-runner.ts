import type { Redis } from 'ioredis';
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

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
 * Calls Lua scripts with EVALSHA, falling back to EVAL when Redis does not know the script yet
 * (EVAL caches it), and counts round trips: one per command or pipeline sent.
 */
export class ScriptRunner {
  roundTrips = 0;
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
    for (const c of calls) pipeline.evalsha(c.script.sha, c.script.numberOfKeys, ...c.keys, ...c.args);
    this.count(calls.map((c) => command(c.script)).join('+'));
    const replies = (await pipeline.exec()) ?? [];
    return Promise.all(
      calls.map(async (c, i) => {
        const [error, reply] = replies[i] ?? [new Error('no reply'), null];
        if (!error) return reply;
        if (!isNoScript(error)) return new TransportScriptError(c.script.name, error);
        this.count(command(c.script));
        try {
          return await this.redis.eval(c.script.lua, c.script.numberOfKeys, ...c.keys, ...c.args);
        } catch (evalError) {
          return new TransportScriptError(c.script.name, evalError);
        }
      }),
    );
  }
}
