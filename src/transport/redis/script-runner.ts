import type { Redis } from 'ioredis';
import { ioredisScriptCalls, ScriptCaller } from '../../store/redis/client.js';
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
 * Calls the transport's commands the way the store calls its own (`ScriptCaller`: Redis Functions,
 * EVALSHA and EVAL as the server allows), several in one pipeline. Counts round trips: one per
 * command or pipeline sent, by command.
 */
export class ScriptRunner {
  roundTrips = 0;
  readonly roundTripsByOp: Record<string, number> = {};
  private readonly caller: ScriptCaller;

  constructor(private readonly redis: Redis) {
    this.caller = new ScriptCaller(ioredisScriptCalls(redis), {
      count: (_commands, script) => this.count(script ? command(script) : 'script'),
    });
  }

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
    for (const { script, keys, args } of calls) {
      if (this.caller.usesFunction(script)) {
        pipeline.call('FCALL', script.fn!, script.numberOfKeys, ...keys, ...args);
      } else {
        pipeline.evalsha(script.sha, script.numberOfKeys, ...keys, ...args);
      }
    }
    this.count(calls.map((c) => command(c.script)).join('+'));
    const replies = (await pipeline.exec()) ?? [];
    return Promise.all(
      calls.map(async ({ script, keys, args }, i) => {
        const [error, reply] = replies[i] ?? [new Error('no reply'), null];
        if (!error) return reply;
        try {
          return await this.caller.recover(script, keys, args, error);
        } catch (retryError) {
          return new TransportScriptError(script.name, retryError);
        }
      }),
    );
  }
}
