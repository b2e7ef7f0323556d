import { randomUUID } from 'node:crypto';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningUpstashRest, startUpstashRest } from '../../tools/upstash-rest/server.js';
import { deleteKeys, newPrefix, REDIS_URL } from '../support/redis.js';

const TOKEN = `token-${randomUUID()}`;
const prefix = newPrefix();
const k = (name: string) => `${prefix}${name}`;

let rest: RunningUpstashRest;
const admin = new Redis(REDIS_URL);

beforeAll(async () => {
  rest = await startUpstashRest({ redisUrl: REDIS_URL, port: 0, token: TOKEN });
});

afterAll(async () => {
  await rest.close();
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${rest.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe.each([
  { autoPipelining: true, name: 'auto-pipelining on' },
  { autoPipelining: false, name: 'auto-pipelining off' },
])('upstash-rest with the real @upstash/redis client, $name', ({ autoPipelining }) => {
  const client = () =>
    new UpstashRedis({ url: rest.url, token: TOKEN, enableAutoPipelining: autoPipelining });
  const ns = (name: string) => k(`${autoPipelining ? 'auto' : 'plain'}:${name}`);

  it('gets and sets strings, numbers and JSON values', async () => {
    const redis = client();
    const [setReply, incr] = await Promise.all([redis.set(ns('s'), 'hello'), redis.incrby(ns('n'), 41)]);
    expect(setReply).toBe('OK');
    expect(incr).toBe(41);
    expect(await redis.get(ns('s'))).toBe('hello');
    expect(await redis.incr(ns('n'))).toBe(42);
    await redis.set(ns('json'), { a: 1, b: ['x'] });
    expect(await redis.get(ns('json'))).toEqual({ a: 1, b: ['x'] });
    expect(await redis.mget(ns('s'), ns('missing'))).toEqual(['hello', null]);
    expect(await redis.set(ns('s'), 'again', { nx: true })).toBeNull();
  });

  it('round-trips unicode and binary-ish strings', async () => {
    const redis = client();
    const weird = 'héllo 世界 🚀 \u0000\u0001\u007f "quotes" \\ / =+';
    await redis.set(ns('weird'), weird);
    expect(await redis.get(ns('weird'))).toBe(weird);
    expect(await admin.get(ns('weird'))).toBe(weird);
    await redis.set(ns('ok'), 'OK');
    expect(await redis.get(ns('ok'))).toBe('OK');
  });

  it('serves hash, sorted-set and stream commands', async () => {
    const redis = client();
    await redis.hset(ns('h'), { name: 'ada', lang: 'ü' });
    expect(await redis.hget(ns('h'), 'name')).toBe('ada');
    expect(await redis.hgetall(ns('h'))).toEqual({ name: 'ada', lang: 'ü' });

    await redis.zadd(ns('z'), { score: 2, member: 'b' }, { score: 1.5, member: 'a' });
    expect(await redis.zrange(ns('z'), 0, -1)).toEqual(['a', 'b']);
    expect(await redis.zrange(ns('z'), 0, -1, { withScores: true })).toEqual(['a', 1.5, 'b', 2]);
    expect(await redis.zscore(ns('z'), 'a')).toBe(1.5);

    const id = await redis.xadd(ns('x'), '*', { field: 'v1' });
    expect(typeof id).toBe('string');
    expect(await redis.xlen(ns('x'))).toBe(1);
    expect(await redis.xrange(ns('x'), '-', '+')).toEqual({ [id]: { field: 'v1' } });
  });

  it('runs pipelines and transactions', async () => {
    const redis = client();
    const piped = await redis.pipeline().set(ns('p'), 'a').get(ns('p')).incr(ns('pc')).exec();
    expect(piped).toEqual(['OK', 'a', 1]);
    const tx = await redis.multi().set(ns('t'), 1).incr(ns('t')).get(ns('t')).exec();
    expect(tx).toEqual(['OK', 2, 2]);
    await expect(redis.pipeline().set(ns('wrong'), 'x').lpush(ns('wrong'), 'y').exec()).rejects.toThrow(
      /WRONGTYPE/,
    );
  });

  it('runs eval, evalsha and scripts, falling back from EVALSHA to EVAL on NOSCRIPT', async () => {
    const redis = client();
    // Unique per run, so its sha is not loaded yet and the fallback path really runs.
    const source = `return {KEYS[1], ARGV[1], '${randomUUID()}'}`;
    const script = redis.createScript<string[]>(source);
    expect(await admin.script('EXISTS', script.sha1)).toEqual([0]);
    const [key, arg] = await script.exec([ns('script')], ['argü']);
    expect([key, arg]).toEqual([ns('script'), 'argü']);
    expect(await admin.script('EXISTS', script.sha1)).toEqual([1]);
    expect((await redis.evalsha<string[], string[]>(script.sha1, [ns('a')], ['b'])).slice(0, 2)).toEqual([
      ns('a'),
      'b',
    ]);
    expect(await redis.eval('return tonumber(ARGV[1]) * 2', [], [21])).toBe(42);
    await expect(redis.evalsha(`${'0'.repeat(39)}1`, [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it('reports command errors as Upstash errors', async () => {
    const redis = client();
    await redis.set(ns('str'), 'x');
    await expect(redis.lpush(ns('str'), 'y')).rejects.toThrow(/WRONGTYPE/);
  });
});

describe('upstash-rest protocol details', () => {
  it('falls back to EVAL inside an auto-pipeline when EVALSHA gets a per-item NOSCRIPT', async () => {
    const seen: { path: string; body: string }[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      seen.push({ path: new URL(String(input)).pathname, body: String(init?.body ?? '') });
      return realFetch(input, init);
    };
    try {
      const redis = new UpstashRedis({ url: rest.url, token: TOKEN, enableAutoPipelining: true });
      const script = redis.createScript<string>(`return '${randomUUID()}'`);
      expect(await script.exec([], [])).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(seen.map((r) => r.path)).toEqual(['/pipeline', '/pipeline']);
    expect(seen[0]?.body).toContain('"evalsha"');
    expect(seen[1]?.body).toContain('"eval"');
  });

  it('refuses requests without the right bearer token', async () => {
    const wrong = new UpstashRedis({
      url: rest.url,
      token: 'nope',
      enableAutoPipelining: false,
      retry: false,
    });
    await expect(wrong.get(k('x'))).rejects.toThrow(/Unauthorized/);
    const res = await fetch(`${rest.url}/`, { method: 'POST', body: '["PING"]' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
  });

  it('returns plain strings without Upstash-Encoding and base64 with it, OK left plain', async () => {
    const plain = await post('/', ['SET', k('enc'), 'é']);
    expect(await plain.json()).toEqual({ result: 'OK' });
    const b64 = await post('/', ['GET', k('enc')], { 'upstash-encoding': 'base64' });
    expect(await b64.json()).toEqual({ result: Buffer.from('é').toString('base64') });
    const ok = await post(
      '/pipeline',
      [
        ['SET', k('enc'), 'x'],
        ['LRANGE', k('none'), 0, -1],
      ],
      {
        'upstash-encoding': 'base64',
      },
    );
    expect(await ok.json()).toEqual([{ result: 'OK' }, { result: [] }]);
    const client = new UpstashRedis({ url: rest.url, token: TOKEN, responseEncoding: false });
    await client.set(k('enc2'), 'ünï');
    expect(await client.get(k('enc2'))).toBe('ünï');
  });

  it('answers errors with status 400 and {error}, NOSCRIPT included', async () => {
    const res = await post('/', ['EVALSHA', 'f'.repeat(40), 0]);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/^NOSCRIPT/);
    const bad = await post('/', ['GET']);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/wrong number of arguments/);
    const notArray = await post('/', { cmd: 'GET' });
    expect(notArray.status).toBe(400);
  });

  it('reports per-item errors in a pipeline and a discarded transaction as one error', async () => {
    const res = await post('/pipeline', [['SET', k('pi'), 'v'], ['GET'], ['GET', k('pi')]]);
    const items = await res.json();
    expect(items[0]).toEqual({ result: 'OK' });
    expect(items[1].error).toMatch(/wrong number/);
    expect(items[2]).toEqual({ result: 'v' });

    const aborted = await post('/multi-exec', [['SET', k('tx'), 'v'], ['GET']]);
    expect(aborted.status).toBe(400);
    expect((await aborted.json()).error).toMatch(/EXECABORT/);
    expect(await admin.exists(k('tx'))).toBe(0);

    const runtime = await post('/multi-exec', [
      ['SET', k('tx2'), 'v'],
      ['INCR', k('tx2')],
    ]);
    const replies = await runtime.json();
    expect(replies[0]).toEqual({ result: 'OK' });
    expect(replies[1].error).toMatch(/not an integer/);
  });

  it('accepts the path form with GET and POST', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const set = await fetch(`${rest.url}/set/${encodeURIComponent(k('path'))}/a%20b`, { headers: auth });
    expect(await set.json()).toEqual({ result: 'OK' });
    const get = await fetch(`${rest.url}/get/${encodeURIComponent(k('path'))}?_token=${TOKEN}`);
    expect(await get.json()).toEqual({ result: 'a b' });
    const withBody = await fetch(`${rest.url}/set/${encodeURIComponent(k('path2'))}`, {
      method: 'POST',
      headers: auth,
      body: 'from body',
    });
    expect(await withBody.json()).toEqual({ result: 'OK' });
    expect(await admin.get(k('path2'))).toBe('from body');
  });

  it('refuses blocking and connection-state commands clearly', async () => {
    const blpop = await post('/', ['BLPOP', k('q'), 0]);
    expect(blpop.status).toBe(400);
    expect((await blpop.json()).error).toMatch(/blocking command 'blpop' is not supported/);
    const xread = await post('/', ['XREAD', 'BLOCK', 0, 'STREAMS', k('s'), '$']);
    expect((await xread.json()).error).toMatch(/blocking/);
    const select = await post('/', ['SELECT', 1]);
    expect((await select.json()).error).toMatch(/not supported/);
    const client = new UpstashRedis({ url: rest.url, token: TOKEN });
    await expect(client.exec(['blpop', k('q'), '1'])).rejects.toThrow(/blocking/);
  });
});
