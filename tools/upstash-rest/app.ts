import type { Context } from 'hono';
import { Hono } from 'hono';
import type { Pipeline, Redis } from 'ioredis';
import { RefusedCommandError, type RestCommand, toRedisCommand } from './command.js';
import { encodeReply, errorMessage, type JsonReply } from './encoding.js';

/** What `createUpstashRestApp` needs: a Redis connection (RESP2 recommended) and the bearer token. */
export interface UpstashRestAppOptions {
  redis: Redis;
  token: string;
}

type ItemResult = { result: JsonReply } | { error: string };

/**
 * The Upstash Redis REST protocol as a Hono app, over one ioredis connection.
 *
 * Routes: `POST /` (JSON command), `POST /pipeline`, `POST /multi-exec`, and the path form
 * `GET|POST /<cmd>/<arg>/...` (a POST body becomes the last argument).
 *
 * @example
 * const app = createUpstashRestApp({ redis: new Redis({ protocol: 2 }), token: 'dev' });
 * await app.request('/', { method: 'POST', headers: { authorization: 'Bearer dev' }, body: '["PING"]' });
 */
export function createUpstashRestApp({ redis, token }: UpstashRestAppOptions): Hono {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    if ((bearer ?? c.req.query('_token')) !== token) return c.json({ error: 'Unauthorized' }, 401);
    await next();
  });

  const single = async (c: Context, command: RestCommand) => {
    try {
      const reply = await redis.sendCommand(toRedisCommand(command));
      return c.json({ result: encodeReply(reply, wantsBase64(c)) });
    } catch (error) {
      return c.json({ error: errorMessage(error) }, isCommandError(error) ? 400 : 500);
    }
  };

  app.post('/', async (c) => single(c, await readJson(c)));

  app.post('/pipeline', async (c) => {
    const commands = await readJson(c);
    if (!Array.isArray(commands)) return c.json({ error: 'ERR a pipeline must be a JSON array' }, 400);
    const base64 = wantsBase64(c);
    // Sent in one tick over one connection, so Redis runs them in order (not atomically).
    const settled = await Promise.all(
      commands.map(async (command: RestCommand) => {
        try {
          return { result: encodeReply(await redis.sendCommand(toRedisCommand(command)), base64) };
        } catch (error) {
          return { error: errorMessage(error) };
        }
      }),
    );
    return c.json(settled);
  });

  app.post('/multi-exec', async (c) => {
    const commands = await readJson(c);
    if (!Array.isArray(commands)) return c.json({ error: 'ERR a transaction must be a JSON array' }, 400);
    try {
      // The typed chain hides `sendCommand`, which every ioredis pipeline has.
      const transaction = redis.multi() as unknown as Pipeline;
      for (const command of commands) transaction.sendCommand(toRedisCommand(command));
      const replies = (await transaction.exec()) ?? [];
      const base64 = wantsBase64(c);
      return c.json(
        replies.map(
          ([error, reply]): ItemResult =>
            error ? { error: error.message } : { result: encodeReply(reply, base64) },
        ),
      );
    } catch (error) {
      return c.json({ error: transactionError(error) }, isCommandError(error) ? 400 : 500);
    }
  });

  app.get('/', (c) => c.json({ result: 'waooaw Upstash-compatible Redis REST endpoint (development tool)' }));

  app.on(['GET', 'POST'], '/*', async (c) => {
    const args: string[] = c.req.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (c.req.method === 'POST') {
      const body = await c.req.text();
      if (body.length > 0) args.push(body);
    }
    return single(c, args);
  });

  return app;
}

function wantsBase64(c: Context): boolean {
  return c.req.header('upstash-encoding')?.toLowerCase() === 'base64';
}

async function readJson(c: Context): Promise<RestCommand> {
  try {
    return (await c.req.json()) as RestCommand;
  } catch {
    return [];
  }
}

/** Redis reply errors and refused commands are the caller's fault (400); anything else is ours. */
function isCommandError(error: unknown): boolean {
  return error instanceof RefusedCommandError || (error instanceof Error && error.name === 'ReplyError');
}

/** ioredis hides why EXEC aborted in `previousErrors`; name the first cause. */
function transactionError(error: unknown): string {
  const previous = (error as { previousErrors?: Error[] }).previousErrors?.[0];
  return previous ? `${errorMessage(error)} (${previous.message})` : errorMessage(error);
}
