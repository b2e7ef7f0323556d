/** Who may call what, over a real HTTP server: nothing runs and nothing is written before the check. */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, type HttpAppOptions, tokenMatches } from '../../src/http/index.js';
import { type Harness, startHarness, TOKEN } from './harness.js';

let h: Harness;
afterEach(() => h.close());

const event = JSON.stringify({ specversion: '1.0', id: 'e1', source: '/s', type: 'shop.order.created' });
const postEvent = (auth: boolean | string) =>
  h.call('/events', { method: 'POST', body: event, headers: { 'content-type': 'application/json' }, auth });

const ADMIN_ROUTES: [string, string][] = [
  ['POST', '/events'],
  ['GET', '/subscriptions'],
  ['POST', '/subscriptions'],
  ['DELETE', '/subscriptions/x'],
  ['GET', '/runs/x'],
  ['POST', '/runs/x/cancel'],
  ['GET', '/dlq'],
  ['GET', '/dlq/x'],
  ['POST', '/dlq/x/replay'],
  ['POST', '/replay'],
];

describe('bearer token', () => {
  it('refuses a missing or wrong token with 401 problem+json, and writes nothing', async () => {
    h = await startHarness();
    await h.listen();
    for (const auth of [false, 'wrong-token', `${TOKEN}x`, TOKEN.slice(0, -1)] as const) {
      const res = await postEvent(auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(await res.json()).toMatchObject({ status: 401, type: 'urn:waooaw:problem:unauthorized' });
    }
    const basic = await h.call('/events', {
      method: 'POST',
      body: event,
      auth: false,
      headers: { authorization: `Basic ${btoa(`u:${TOKEN}`)}` },
    });
    expect(basic.status).toBe(401);
    expect(await h.store.readEvents({ limit: 10 })).toEqual([]);
    expect((await postEvent(true)).status).toBe(202);
  });

  it('guards every publish and admin route, before reading the body', async () => {
    h = await startHarness();
    await h.listen();
    const before = await h.store.listSubscriptions();
    for (const [method, path] of ADMIN_ROUTES) {
      // A body that is not JSON: a 401 (not a 400) shows the check ran before any parsing.
      const res = await h.call(path, {
        method,
        auth: false,
        ...(method === 'POST' ? { body: '{nope' } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect(await h.store.listSubscriptions()).toEqual(before);
    expect(await h.store.readEvents({ limit: 10 })).toEqual([]);
  });

  it('answers 503 when no token is configured, unless insecureNoAuth', async () => {
    h = await startHarness({ http: { token: undefined } });
    await h.listen();
    const res = await postEvent(false);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ type: 'urn:waooaw:problem:not-configured' });
    expect((await h.call('/health', { auth: false })).status).toBe(200);
    await h.close();

    h = await startHarness({ http: { token: undefined, insecureNoAuth: true } });
    await h.listen();
    expect((await postEvent(false)).status).toBe(202);
  });

  it('compares tokens whatever their lengths', async () => {
    expect(await tokenMatches('abc', 'abc')).toBe(true);
    expect(await tokenMatches('abc', 'abd')).toBe(false);
    expect(await tokenMatches('abc', 'abcd')).toBe(false);
    expect(await tokenMatches('', 'abc')).toBe(false);
  });
});

describe('errors', () => {
  it('will not build without a signature verifier for the invocation routes', async () => {
    h = await startHarness();
    expect(() => createHttpApp(h.app, { token: TOKEN } as HttpAppOptions)).toThrow(/verifyInvocation/);
  });

  it('answers an unknown route with a 404 problem', async () => {
    h = await startHarness();
    await h.listen();
    const res = await h.call('/nope', { method: 'GET' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, detail: 'no route GET /nope' });
  });

  it('answers an unexpected error with a 500 problem that leaks nothing, and logs no secret', async () => {
    const lines: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (m: string, f?: object) => void lines.push(JSON.stringify([m, f])),
      error: (m: string, f?: object) => void lines.push(JSON.stringify([m, f])),
      child: () => logger,
    };
    h = await startHarness({
      http: {
        logger,
        metrics: async () => {
          throw new Error('connect failed');
        },
      },
    });
    await h.listen();
    const res = await h.call('/metrics', { auth: false });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 500, type: 'urn:waooaw:problem:internal' });
    expect(text).not.toContain('connect failed');
    await postEvent('a-wrong-token');
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain('a-wrong-token');
  });
});
