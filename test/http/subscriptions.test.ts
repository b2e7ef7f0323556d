/** GET/POST/DELETE /subscriptions. */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromIoredis, RedisStore } from '../../src/index.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';
import { bearer, type Harness, postJson, startHarness } from './harness.js';
import { WORKFLOWS } from './workflows.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ workflows: WORKFLOWS });
});
afterEach(() => h.close());

const create = (body: unknown) => h.http.request('/subscriptions', postJson(body));

describe('subscriptions', () => {
  it('creates, lists and deletes', async () => {
    const res = await create({
      pattern: 'orders.#',
      target: { kind: 'http', url: 'https://example.com/hook' },
    });
    expect(res.status).toBe(201);
    const sub = await res.json();
    expect(sub).toMatchObject({ pattern: 'orders.#', target: { kind: 'http' }, maxAttempts: 5 });
    expect(res.headers.get('location')).toBe(`/subscriptions/${sub.id}`);

    const named = await create({
      id: 'greeter',
      pattern: 'people.*.joined',
      target: { kind: 'workflow', workflow: 'greet' },
      maxAttempts: 3,
      ordered: true,
    });
    expect(named.status).toBe(201);
    expect(await named.json()).toMatchObject({ id: 'greeter', ordered: true, maxAttempts: 3 });
    expect((await create({ pattern: 'x', target: { kind: 'task', task: 'echo' } })).status).toBe(201);

    const list = await (await h.http.request('/subscriptions', { headers: bearer() })).json();
    expect(list.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([sub.id, 'greeter']));

    const del = await h.http.request('/subscriptions/greeter', { method: 'DELETE', headers: bearer() });
    expect(del.status).toBe(204);
    const again = await h.http.request('/subscriptions/greeter', { method: 'DELETE', headers: bearer() });
    expect(again.status).toBe(404);
    expect((await h.store.listSubscriptions()).some((s) => s.id === 'greeter')).toBe(false);
  });

  it('refuses a bad pattern with 400 naming it, and writes nothing', async () => {
    const before = await h.store.listSubscriptions();
    const res = await create({ pattern: 'orders..#', target: { kind: 'http', url: 'https://example.com' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await res.json();
    expect(problem.issues[0]).toMatchObject({
      path: 'pattern',
      message: expect.stringContaining('segment 2'),
    });
    expect(await h.store.listSubscriptions()).toEqual(before);
  });

  it('names every bad field of the body', async () => {
    const cases: [unknown, string][] = [
      [{ target: { kind: 'http', url: 'https://e.com' } }, 'pattern'],
      [{ pattern: 'a', target: { kind: 'http', url: 'ftp://e.com' } }, 'target.url'],
      [{ pattern: 'a', target: { kind: 'queue' } }, 'target.kind'],
      [{ pattern: 'a', target: { kind: 'handler', name: 'x' } }, 'target.kind'],
      [{ pattern: 'a', target: { kind: 'workflow', workflow: 'nope' } }, 'target.workflow'],
      [{ pattern: 'a', target: { kind: 'task', task: 'greet' } }, 'target.task'],
      [{ pattern: 'a', target: { kind: 'task', task: 'echo' }, maxAttempts: 0 }, 'maxAttempts'],
      [{ pattern: 'a', target: { kind: 'task', task: 'echo' }, extra: 1 }, 'extra'],
      [{ id: 'has space', pattern: 'a', target: { kind: 'task', task: 'echo' } }, 'id'],
    ];
    for (const [body, path] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).issues.map((i: { path: string }) => i.path)).toContain(path);
    }
  });

  it('creates one subscription when concurrent requests give the same id (Redis store)', async () => {
    // A store with real round trips: a check-then-write route lets every request pass its check.
    const prefix = newPrefix();
    const client = new Redis(REDIS_URL);
    const redisHarness = await startHarness({
      workflows: WORKFLOWS,
      store: new RedisStore(fromIoredis(client, { closeClient: false }), { prefix }),
    });
    try {
      await redisHarness.listen();
      const responses = await Promise.all(
        ['a.one', 'a.two', 'a.three', 'a.four'].map((pattern) =>
          redisHarness.call(
            '/subscriptions',
            postJson({ id: 'race', pattern, target: { kind: 'task', task: 'echo' } }),
          ),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(3);
      const created = await responses[statuses.indexOf(201)]!.json();
      const stored = await redisHarness.store.listSubscriptions();
      expect(stored.filter((s) => s.id === 'race')).toEqual([created]);
    } finally {
      await redisHarness.close();
      await deleteKeys(client, prefix);
      client.disconnect();
    }
  });

  it('answers 409 for an id that exists, 415 for a non-JSON body, 400 for broken JSON', async () => {
    const body = { id: 'dup', pattern: 'a', target: { kind: 'task', task: 'echo' } };
    expect((await create(body)).status).toBe(201);
    expect((await create(body)).status).toBe(409);
    const text = await h.http.request('/subscriptions', {
      method: 'POST',
      body: 'pattern=a',
      headers: bearer({ 'content-type': 'application/x-www-form-urlencoded' }),
    });
    expect(text.status).toBe(415);
    const broken = await h.http.request('/subscriptions', {
      method: 'POST',
      body: '{',
      headers: bearer({ 'content-type': 'application/json' }),
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).issues).toEqual([{ path: 'body', message: 'body is not valid JSON' }]);
  });
});
