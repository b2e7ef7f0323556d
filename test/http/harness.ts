import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createHttpApp, type HttpAppOptions, type SignedRequest } from '../../src/http/index.js';
import {
  type AnyWorkflow,
  createWaooaw,
  type HandlerSubscription,
  hmacSha256Hex,
  InProcessTransport,
  MemoryStore,
  type Store,
  type Transport,
  timingSafeEqual,
  type Waooaw,
} from '../../src/index.js';

export const TOKEN = 'test-token-0123456789';
export const INVOKE_SECRET = 'invoke-signing-secret';
export const SIGNATURE_HEADER = 'upstash-signature';

/** The transport signature the tests use: HMAC of "<url>\n<body>" (stands in for QStash's JWT). */
export const signInvocation = (url: string, body: string) => hmacSha256Hex(INVOKE_SECRET, `${url}\n${body}`);

export async function verifyTestSignature({ url, body, headers }: SignedRequest): Promise<boolean> {
  const presented = headers.get(SIGNATURE_HEADER);
  return presented !== null && timingSafeEqual(presented, await signInvocation(url, body));
}

export interface HarnessOptions {
  workflows?: AnyWorkflow[];
  consumers?: HandlerSubscription[];
  transport?: Transport;
  /** Default: a fresh memory store. */
  store?: Store;
  http?: Partial<HttpAppOptions>;
}

export interface Harness {
  app: Waooaw;
  store: Store;
  http: ReturnType<typeof createHttpApp>;
  /** Base URL of the real server (`listen()` first). */
  url: string;
  listen(): Promise<string>;
  /** `fetch` against the real server, with the bearer token unless `auth: false`. */
  call(path: string, init?: RequestInit & { auth?: boolean | string }): Promise<Response>;
  /** A signed POST (transport-style) against the real server. */
  signedPost(path: string, body: string, signature?: string): Promise<Response>;
  close(): Promise<void>;
}

/** A waooaw app on the memory store with the HTTP app over it; `listen()` serves it on 127.0.0.1. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const store = options.store ?? new MemoryStore();
  const app = createWaooaw({
    store,
    transport: options.transport ?? new InProcessTransport({ concurrency: 4, retryDelayMs: () => 5 }),
    workflows: options.workflows ?? [],
    consumers: options.consumers ?? [],
    bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
  });
  await app.start();
  const http = createHttpApp(app, { token: TOKEN, verifyInvocation: verifyTestSignature, ...options.http });
  let server: ReturnType<typeof serve> | undefined;
  const harness: Harness = {
    app,
    store,
    http,
    url: '',
    async listen() {
      await new Promise<void>((resolve) => {
        server = serve({ fetch: http.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
      });
      const { port } = server!.address() as AddressInfo;
      harness.url = `http://127.0.0.1:${port}`;
      return harness.url;
    },
    call(path, { auth = true, headers, ...init } = {}) {
      const all = new Headers(headers);
      if (auth !== false) all.set('authorization', `Bearer ${auth === true ? TOKEN : auth}`);
      return fetch(`${harness.url}${path}`, { ...init, headers: all });
    },
    async signedPost(path, body, signature) {
      const url = `${harness.url}${path}`;
      return fetch(url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signature ?? (await signInvocation(url, body)),
        },
      });
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await app.stop();
    },
  };
  return harness;
}

/** Headers for `app.request()` with the bearer token. */
export const bearer = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${TOKEN}`,
  ...extra,
});

/** JSON POST init for `app.request()` with the bearer token. */
export const postJson = (body: unknown, extra: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: bearer({ 'content-type': 'application/json', ...extra }),
});
