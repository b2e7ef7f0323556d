import type { Context } from 'hono';
import { Hono } from 'hono';
import { BadRequestError } from './durations.js';
import { createMessage, type DlqEntry, toApiDlqMessage, toApiMessage } from './message.js';
import { parsePublish } from './publish-headers.js';
import type { QStashStore } from './store.js';

export interface QStashAppOptions {
  store: QStashStore;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  defaultRetries: number;
  dedupWindowMs: number;
  /** Called after a message is stored, so the scheduler looks at it without waiting for its poll. */
  onEnqueued: () => void;
}

/**
 * The QStash v2 REST surface qstash-local serves, as a Hono app: publish, batch, signing keys,
 * messages and DLQ. Anything else under `/v2` answers 404 naming the unsupported route.
 */
export function createQStashApp(o: QStashAppOptions): Hono {
  const { store } = o;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof BadRequestError) return c.json({ error: error.message }, 400);
    return c.json({ error: error instanceof Error ? error.message : String(error) }, 500);
  });

  app.use('/v2/*', async (c, next) => {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    if ((bearer ?? c.req.query('qstash_token')) !== o.token) return c.json({ error: 'Unauthorized' }, 401);
    await next();
  });

  const publish = async (destination: string, headers: Headers, body: Uint8Array) => {
    const now = Date.now();
    const { draft, dedupId } = parsePublish(destination, headers, body, {
      defaultRetries: o.defaultRetries,
      nowMs: now,
    });
    const message = createMessage(draft, now);
    const dedup = dedupId === undefined ? undefined : { id: dedupId, windowMs: o.dedupWindowMs };
    const result = await store.enqueue(message, dedup);
    if (!result.deduplicated) o.onEnqueued();
    return {
      messageId: result.messageId,
      url: draft.url,
      ...(result.deduplicated && { deduplicated: true }),
    };
  };

  app.post('/v2/publish/*', async (c) => {
    const url = new URL(c.req.url);
    // The client appends the destination unencoded: its query string is ours now, kept byte for
    // byte (URLSearchParams would re-encode it), less a `qstash_token` used to authenticate.
    const query = url.search
      .slice(1)
      .split('&')
      .filter((part) => part !== '' && !part.startsWith('qstash_token='))
      .join('&');
    const destination =
      url.pathname.slice(url.pathname.indexOf('/v2/publish/') + '/v2/publish/'.length) +
      (query === '' ? '' : `?${query}`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const response = await publish(destination, c.req.raw.headers, body);
    return c.json(response, response.deduplicated ? 202 : 201);
  });

  app.post('/v2/batch', async (c) => {
    const items = await c.req.json().catch(() => undefined);
    if (!Array.isArray(items)) throw new BadRequestError('batch body must be a JSON array');
    const responses = [];
    for (const item of items as BatchItem[]) {
      if (typeof item?.destination !== 'string')
        throw new BadRequestError('every batch item needs a destination');
      if (item.queue !== undefined) throw new BadRequestError('queues are not supported by qstash-local');
      const body = new TextEncoder().encode(item.body ?? '');
      responses.push(await publish(item.destination, new Headers(item.headers ?? {}), body));
    }
    return c.json(responses, 201);
  });

  app.get('/v2/keys', (c) => c.json({ current: o.currentSigningKey, next: o.nextSigningKey }));

  app.get('/v2/messages/:id', async (c) => {
    const message = await store.getMessage(c.req.param('id'));
    return message ? c.json(toApiMessage(message)) : notFound(c, 'message');
  });

  app.delete('/v2/messages/:id', async (c) =>
    (await store.cancel(c.req.param('id'))) ? c.json({ cancelled: 1 }) : notFound(c, 'message'),
  );

  app.delete('/v2/messages', async (c) => {
    const ids = many(c, 'messageIds');
    if (ids.length === 0) throw new BadRequestError('qstash-local cancels by messageIds only (no filters)');
    let cancelled = 0;
    for (const id of ids) if (await store.cancel(id)) cancelled += 1;
    return c.json({ cancelled });
  });

  app.get('/v2/dlq', async (c) => {
    const { page, cursor } = paginate(c, await selectDlq(c, store));
    return c.json({ messages: page.map(toApiDlqMessage), ...(cursor && { cursor }) });
  });

  app.get('/v2/dlq/:id', async (c) => {
    const entry = await store.getDlq(c.req.param('id'));
    return entry ? c.json(toApiDlqMessage(entry)) : notFound(c, 'dlq message');
  });

  app.delete('/v2/dlq/:id', async (c) =>
    (await store.deleteDlq([c.req.param('id')])) === 1 ? c.json({ deleted: 1 }) : notFound(c, 'dlq message'),
  );

  app.delete('/v2/dlq', async (c) => {
    const { page, cursor } = paginate(c, await selectDlq(c, store), true);
    const deleted = await store.deleteDlq(page.map((e) => e.dlqId));
    return c.json({ deleted, ...(cursor && { cursor }) });
  });

  /** Retrying re-publishes the message as new (fresh id, retried 0) and removes the DLQ entry. */
  const retry = async (entry: DlqEntry, headers: Headers) => {
    const now = Date.now();
    const overrideRetries = headers.get('upstash-retries');
    const message = createMessage(
      {
        ...entry.message,
        notBefore: now,
        ...(overrideRetries !== null && { maxRetries: Number(overrideRetries) }),
      },
      now,
    );
    await store.enqueue(message);
    await store.deleteDlq([entry.dlqId]);
    o.onEnqueued();
    return { messageId: message.messageId };
  };

  app.post('/v2/dlq/retry', async (c) => {
    const { page, cursor } = paginate(c, await selectDlq(c, store), true);
    const responses = [];
    for (const entry of page) responses.push(await retry(entry, c.req.raw.headers));
    return c.json({ responses, ...(cursor && { cursor }) }, 201);
  });

  app.post('/v2/dlq/retry/:id', async (c) => {
    const entry = await store.getDlq(c.req.param('id'));
    return entry ? c.json(await retry(entry, c.req.raw.headers), 201) : notFound(c, 'dlq message');
  });

  app.all('/v2/*', (c) =>
    c.json(
      { error: `${c.req.method} ${c.req.path} is not supported by qstash-local (a development tool)` },
      404,
    ),
  );

  return app;
}

interface BatchItem {
  destination: string;
  headers?: Record<string, string>;
  body?: string;
  queue?: string;
}

function notFound(c: Context, what: string) {
  return c.json({ error: `${what} ${c.req.param('id')} not found` }, 404);
}

/** Repeated or comma-separated query values, as the QStash API accepts them. */
function many(c: Context, name: string): string[] {
  return (c.req.queries(name) ?? []).flatMap((v) => v.split(',')).filter(Boolean);
}

/** DLQ entries matching `dlqIds` or the supported filters. */
async function selectDlq(c: Context, store: QStashStore): Promise<DlqEntry[]> {
  const dlqIds = many(c, 'dlqIds');
  const filters = {
    messageId: many(c, 'messageId'),
    url: many(c, 'url'),
    label: many(c, 'label'),
    responseStatus: many(c, 'responseStatus'),
    flowControlKey: many(c, 'flowControlKey'),
  };
  const matches = (wanted: string[], value: string | number | undefined) =>
    wanted.length === 0 || (value !== undefined && wanted.includes(String(value)));
  return (await store.listDlq()).filter(
    (e) =>
      matches(dlqIds, e.dlqId) &&
      matches(filters.messageId, e.message.messageId) &&
      matches(filters.url, e.message.url) &&
      matches(filters.label, e.message.label) &&
      matches(filters.responseStatus, e.response.status) &&
      matches(filters.flowControlKey, e.message.flowControlKey),
  );
}

/**
 * `count` (≤ 100) items from the offset in `cursor`, and the next cursor while more remain.
 * When the caller removes the page (delete, retry), the rest moves up: the next offset stays put.
 */
function paginate<T>(c: Context, items: T[], removesPage = false): { page: T[]; cursor?: string } {
  const count = Math.min(100, Math.max(1, Number(c.req.query('count') ?? 100) || 100));
  const offset = Number(c.req.query('cursor') ?? 0) || 0;
  const page = items.slice(offset, offset + count);
  const more = offset + count < items.length;
  return { page, ...(more && { cursor: String(removesPage ? offset : offset + count) }) };
}
