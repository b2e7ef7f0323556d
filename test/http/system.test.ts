/** /health, /ready, /metrics and /openapi.json: no token, for probes, scrapers and clients. */
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

let h: Harness;
afterEach(() => h.close());

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  parameters?: { name: string; in: string }[];
}

describe('probes', () => {
  it('/health is always 200', async () => {
    h = await startHarness({ http: { ready: async () => false } });
    const res = await h.http.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/ready follows the store check, and a throwing check is not ready', async () => {
    let ready = true;
    h = await startHarness({
      http: {
        ready: async () => {
          if (ready === undefined) throw new Error('ECONNREFUSED');
          return ready;
        },
      },
    });
    expect((await h.http.request('/ready')).status).toBe(200);
    ready = false;
    const down = await h.http.request('/ready');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ type: 'urn:waooaw:problem:not-ready' });
    ready = undefined as unknown as boolean;
    expect((await h.http.request('/ready')).status).toBe(503);
  });

  it('/metrics serves the Prometheus text, or 404 when not enabled', async () => {
    h = await startHarness();
    expect((await h.http.request('/metrics')).status).toBe(404);
    await h.close();
    h = await startHarness({ http: { metrics: async () => 'waooaw_up 1\n' } });
    const res = await h.http.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await res.text()).toBe('waooaw_up 1\n');
  });
});

describe('/openapi.json', () => {
  it('documents every route the app serves, with its security, request and responses', async () => {
    h = await startHarness();
    const doc = await (await h.http.request('/openapi.json')).json();
    expect(doc.openapi).toBe('3.0.3');
    const served = new Set(
      h.http.routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(
      Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method} ${path}`),
      ),
    );
    expect([...documented].sort()).toEqual([...served].sort());
    expect(documented.size).toBe(18);

    const op = (method: string, path: string): Operation => doc.paths[path][method];
    const bearerRoutes = [
      ['post', '/events'],
      ['get', '/events'],
      ['get', '/subscriptions'],
      ['post', '/subscriptions'],
      ['delete', '/subscriptions/{id}'],
      ['get', '/runs/{id}'],
      ['post', '/runs/{id}/cancel'],
      ['get', '/dlq'],
      ['get', '/dlq/{id}'],
      ['post', '/dlq/{id}/replay'],
      ['post', '/replay'],
    ];
    for (const [method, path] of bearerRoutes) {
      expect(op(method!, path!).security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
      expect(op(method!, path!).responses['401']?.content?.['application/problem+json']).toBeDefined();
    }
    expect(op('post', '/invoke').security).toEqual([{ upstashSignature: [] }]);
    expect(op('post', '/callbacks/failure').security).toEqual([{ upstashSignature: [] }]);
    expect(op('post', '/webhooks/{source}').security).toEqual([{ webhookSignature: [] }]);
    expect(op('get', '/health').security).toEqual([]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'bearerAuth',
      'upstashSignature',
      'webhookSignature',
    ]);

    expect(Object.keys(op('post', '/events').requestBody!.content)).toEqual([
      'application/cloudevents+json',
      'application/cloudevents-batch+json',
      'application/json',
    ]);
    expect(op('post', '/invoke').requestBody!.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/Invocation',
    });
    expect(op('post', '/invoke').responses['489']).toBeDefined();
    expect(op('get', '/dlq').parameters?.map((p) => p.name)).toEqual(['limit', 'subscription', 'kind']);
    expect(doc.components.schemas.ReplayRequest.properties).toHaveProperty('subscriptionId');
    expect(doc.components.schemas.Problem.properties).toHaveProperty('issues');
  });
});
