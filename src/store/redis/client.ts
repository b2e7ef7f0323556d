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
    async evalScript(script, keys, args) {
      traffic.count(1);
      try {
        return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        traffic.count(1);
        return redis.eval(script.lua, keys.length, ...keys, ...args);
      }
    },
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
