import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

/** A running HTTP server: its base URL and a way to stop it. */
export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serve a Web-standard `fetch` handler on Node and resolve once the socket is listening.
 * Port 0 picks a free port; the resolved `url` carries the real one.
 *
 * @example
 * const { url, close } = await listen(app.fetch, { port: 0, host: '127.0.0.1' });
 */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  { port, host }: { port: number; host: string },
): Promise<Listening> {
  // overrideGlobalObjects would swap the process-wide Request/Response for Hono's own: keep them.
  const server = createAdaptorServer({ fetch, port, hostname: host, overrideGlobalObjects: false });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
