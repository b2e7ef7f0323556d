import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a test destination received. */
export interface Received {
  method: string;
  /** Path and query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;

/**
 * A destination for deliveries: node:http on 127.0.0.1 and a random port, recording every
 * request. Handlers are chosen by path (without query); unknown paths answer 200 "ok".
 */
export async function startDestination() {
  const received: Received[] = [];
  const handlers = new Map<string, Handler>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(entry);
      const handler = handlers.get(entry.path.split('?')[0] ?? '');
      Promise.resolve(handler ? handler(entry, res) : res.end('ok')).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Requests received on one path. */
    on: (path: string) => received.filter((r) => r.path.split('?')[0] === path),
    handle: (path: string, handler: Handler) => handlers.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
