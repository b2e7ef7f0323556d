import type { Redis as UpstashRedis } from '@upstash/redis';
import { isNoScript, type RedisClientAdapter, TrafficCounter } from './client.js';

/**
 * Adapts an `@upstash/redis` client (Redis over REST, for the edge).
 * Replies may arrive already JSON-parsed (the client's automatic deserialization); the store accepts both.
 * Plain-command batches use the client's generic `exec` per command: with `enableAutoPipelining`
 * they share one HTTP request, otherwise each is its own round trip (counted as such).
 *
 * @example
 * const store = new RedisStore(fromUpstash(new Redis({ url, token })));
 */
export function fromUpstash(redis: UpstashRedis): RedisClientAdapter {
  const traffic = new TrafficCounter();
  const str = (args: (string | number)[]) => args.map(String);
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
        return await redis.evalsha(script.sha, keys, str(args));
      } catch (error) {
        if (!isNoScript(error)) throw error;
        traffic.count(1);
        return redis.eval(script.lua, keys, str(args));
      }
    },
    async pipeline(commands) {
      for (const _ of commands) traffic.count(1);
      return Promise.all(
        commands.map(([name, ...rest]) => redis.exec([String(name), ...str(rest)] as [string, ...string[]])),
      );
    },
    async close() {},
  };
}
