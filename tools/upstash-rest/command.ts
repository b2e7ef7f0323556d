import { Command } from 'ioredis';

/** One Redis command as it arrives over REST: name first, then arguments. */
export type RestCommand = readonly unknown[];

/** A command the endpoint refuses before it reaches Redis; answered like a Redis error. */
export class RefusedCommandError extends Error {
  override name = 'RefusedCommandError';
}

/**
 * Commands that would block or change the state of the one shared connection. Upstash refuses
 * most of these too; pub/sub has its own streaming routes there, which this endpoint lacks.
 */
const BLOCKING = new Set([
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
]);
const CONNECTION_STATE = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'monitor',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'select',
  'swapdb',
  'quit',
  'reset',
  'hello',
  'auth',
  'client',
  'sync',
  'psync',
  'replicaof',
  'slaveof',
  'shutdown',
  'wait',
  'waitaof',
]);

/**
 * An ioredis command that skips ioredis's reply transformers (HGETALL → object, XREAD → pairs),
 * so the reply keeps the plain RESP2 shape the REST protocol carries, with Buffers for strings.
 */
class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

/**
 * Check a REST command and turn it into an ioredis command.
 * Arguments may be JSON strings, numbers or booleans (the client sends key counts as numbers).
 * @throws RefusedCommandError for malformed, blocking or connection-state commands.
 */
export function toRedisCommand(command: RestCommand): Command {
  if (!Array.isArray(command) || command.length === 0 || typeof command[0] !== 'string') {
    throw new RefusedCommandError('ERR a command must be a non-empty JSON array starting with its name');
  }
  const name = command[0].toLowerCase();
  const args = command.slice(1).map(toArgument);
  refuseUnsupported(name, args);
  return new RawCommand(name, args, { replyEncoding: null });
}

function toArgument(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new RefusedCommandError(`ERR unsupported argument type ${value === null ? 'null' : typeof value}`);
}

function refuseUnsupported(name: string, args: string[]): void {
  const blocksOnStream =
    (name === 'xread' || name === 'xreadgroup') && args.some((a) => a.toLowerCase() === 'block');
  if (BLOCKING.has(name) || blocksOnStream) {
    throw new RefusedCommandError(
      `ERR blocking command '${name}' is not supported by this REST endpoint (it would hold the shared connection)`,
    );
  }
  if (CONNECTION_STATE.has(name)) {
    throw new RefusedCommandError(`ERR command '${name}' is not supported by this REST endpoint`);
  }
}
