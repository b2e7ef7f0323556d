/** POST /webhooks/:source: HMAC first, then the payload becomes `webhook.<source>.<event>`. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hmacSha256Hex, signDelivery } from '../../src/index.js';
import { type Harness, startHarness } from './harness.js';

const SECRETS = { github: 'gh-secret', stripe: 'stripe-secret' };
const NOW = Date.parse('2025-01-01T10:00:00Z');
let h: Harness;

beforeEach(async () => {
  h = await startHarness({ http: { webhookSecrets: SECRETS, clock: () => NOW } });
});
afterEach(() => h.close());

const logged = async () => (await h.store.readEvents({ limit: 10 })).map((l) => l.event);

async function github(body: string, signature?: string, extra: Record<string, string> = {}) {
  const sig = signature ?? `sha256=${await hmacSha256Hex(SECRETS.github, body)}`;
  return h.http.request('/webhooks/github', {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'delivery-42',
      'x-hub-signature-256': sig,
      ...extra,
    },
  });
}

describe('GitHub-style signatures', () => {
  it('publishes a verified push as webhook.github.push with the delivery id', async () => {
    const res = await github(JSON.stringify({ ref: 'refs/heads/main' }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1, events: [{ id: 'delivery-42' }] });
    expect(await logged()).toMatchObject([
      {
        id: 'delivery-42',
        type: 'webhook.github.push',
        source: '/webhooks/github',
        data: { ref: 'refs/heads/main' },
      },
    ]);
  });

  it('refuses a bad or missing signature with 401 and publishes nothing', async () => {
    const body = JSON.stringify({ ref: 'x' });
    const other = `sha256=${await hmacSha256Hex('not-the-secret', body)}`;
    for (const sig of [other, 'sha256=zz', 'sha1=abc']) {
      const res = await github(body, sig);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const unsigned = await h.http.request('/webhooks/github', { method: 'POST', body });
    expect(unsigned.status).toBe(401);
    expect(await logged()).toEqual([]);
  });

  it('checks the signature before parsing: a bad body with a bad signature is a 401', async () => {
    expect((await github('{nope', 'sha256=' + '0'.repeat(64))).status).toBe(401);
    const signedGarbage = await github('{nope');
    expect(signedGarbage.status).toBe(400);
    expect((await signedGarbage.json()).issues).toEqual([
      { path: 'body', message: 'body is not valid JSON' },
    ]);
  });

  it('accepts only GitHub-style signatures for a github source', async () => {
    const body = JSON.stringify({ ref: 'x' });
    const res = await h.http.request('/webhooks/github', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'waooaw-signature': await signDelivery(SECRETS.github, body, NOW),
      },
    });
    expect(res.status).toBe(401);
    expect((await res.json()).detail).toContain('x-hub-signature-256');
  });

  it("reads GitHub's form-encoded payload", async () => {
    const body = new URLSearchParams({ payload: JSON.stringify({ zen: 'hi' }) }).toString();
    const res = await github(body, undefined, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'ping',
    });
    expect(res.status).toBe(202);
    expect(await logged()).toMatchObject([{ type: 'webhook.github.ping', data: { zen: 'hi' } }]);
  });
});

describe('generic t=,v1= signatures', () => {
  const post = (body: string, signature: string, headers: Record<string, string> = {}) =>
    h.http.request('/webhooks/stripe', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-waooaw-signature': signature, ...headers },
    });

  it('takes the event from the JSON type field and the id from webhook-id', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', amount: 5 });
    const res = await post(body, await signDelivery(SECRETS.stripe, body, NOW), { 'webhook-id': 'wh_1' });
    expect(res.status).toBe(202);
    expect(await logged()).toMatchObject([
      { id: 'wh_1', type: 'webhook.stripe.invoice.paid', data: { amount: 5 } },
    ]);
  });

  it('falls back to the event field, then to received, and to a random id', async () => {
    const a = JSON.stringify({ event: 'Order Created!' });
    await post(a, await signDelivery(SECRETS.stripe, a, NOW));
    const b = JSON.stringify([1, 2]);
    await post(b, await signDelivery(SECRETS.stripe, b, NOW));
    const [first, second] = await logged();
    expect(first?.type).toBe('webhook.stripe.Order_Created_');
    expect(second?.type).toBe('webhook.stripe.received');
    expect(second?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts no GitHub-style signature: a captured request cannot be replayed as one', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', amount: 5 });
    const header = await signDelivery(SECRETS.stripe, body, NOW - 3_600_000);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(header)!;
    // Its v1 is the HMAC of `<t>.<body>`: sent as the body with a GitHub header, an hour later.
    const replay = await h.http.request('/webhooks/stripe', {
      method: 'POST',
      body: `${t}.${body}`,
      headers: { 'content-type': 'text/plain', 'x-hub-signature-256': `sha256=${v1}`, 'webhook-id': 'mine' },
    });
    expect(replay.status).toBe(401);
    expect((await replay.json()).detail).toContain('waooaw-signature');
    expect(await logged()).toEqual([]);
  });

  it('checks the signature over the bytes received, UTF-8 or not', async () => {
    // `{"note":"<0xff>"}`: a Latin-1 byte that is not UTF-8, signed as sent.
    const body = new Uint8Array([...Buffer.from('{"note":"'), 0xff, ...Buffer.from('"}')]);
    const res = await h.http.request('/webhooks/stripe', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-waooaw-signature': await signDelivery(SECRETS.stripe, body, NOW),
      },
    });
    expect(res.status).toBe(202);
    expect((await logged())[0]?.type).toBe('webhook.stripe.received');
  });

  it('refuses a stale timestamp or a wrong secret', async () => {
    const body = JSON.stringify({ type: 'x' });
    expect((await post(body, await signDelivery(SECRETS.stripe, body, NOW - 3_600_000))).status).toBe(401);
    expect((await post(body, await signDelivery('wrong', body, NOW))).status).toBe(401);
    expect(await logged()).toEqual([]);
  });
});

describe('sources', () => {
  it('answers 404 for a source without a secret, before reading anything', async () => {
    const res = await h.http.request('/webhooks/gitlab', { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect((await h.http.request('/webhooks/constructor', { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('asks a resolver for the secret', async () => {
    await h.close();
    h = await startHarness({
      http: { webhookSecrets: async (s) => (s === 'crm' ? 'crm-secret' : undefined) },
    });
    const body = JSON.stringify({ type: 'contact.added' });
    const res = await h.http.request('/webhooks/crm', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'waooaw-signature': await signDelivery('crm-secret', body, Date.now()),
      },
    });
    expect(res.status).toBe(202);
    expect((await logged())[0]?.type).toBe('webhook.crm.contact.added');
  });
});
