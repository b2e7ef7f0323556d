import type { Redis as UpstashRedis } from '@upstash/redis';
import { type RedisClientAdapter, ScriptCaller, TrafficCounter } from './client.js';

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
  const caller = new ScriptCaller(
    {
      fcall: (fn, keys, args) => redis.functions.call(fn, keys, str(args)),
      loadLibrary: (code) => redis.functions.load({ code, replace: true }),
      evalsha: (sha, keys, args) => redis.evalsha(sha, keys, str(args)),
      eval: (lua, keys, args) => redis.eval(lua, keys, str(args)),
    },
    traffic,
  );
  return {
    get roundTrips() {
      return traffic.roundTrips;
    },
    get commands() {
      return traffic.commands;
    },
    evalScript: (script, keys, args) => caller.call(script, keys, args),
    async pipeline(commands) {
      for (const _ of commands) traffic.count(1);
      return Promise.all(
        commands.map(([name, ...rest]) => redis.exec([String(name), ...str(rest)] as [string, ...string[]])),
      );
    },
    async close() {},
  };
}
