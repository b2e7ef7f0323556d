import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Sits in front of the local Upstash REST endpoint and counts what the Worker sends it: HTTP
 * requests (round trips) and Redis commands (one per single command, one per pipeline entry).
 */
export async function startCountingProxy(target: string) {
  const counts = { requests: 0, commands: 0 };
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      counts.requests++;
      const path = req.url ?? '/';
      if (path.startsWith('/pipeline') || path.startsWith('/multi-exec')) {
        counts.commands += (JSON.parse(body.toString('utf8')) as unknown[]).length;
      } else {
        counts.commands++;
      }
      const forward = request(
        { host: upstream.hostname, port: upstream.port, path, method: req.method, headers: req.headers },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    reset() {
      counts.requests = 0;
      counts.commands = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
