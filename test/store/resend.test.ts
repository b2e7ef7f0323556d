import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RESEND_DELAYS_MS, StoreError, withResends } from '../../src/store/index.js';
import { newPrefix, REDIS_URL } from '../support/redis.js';

const redis = new Redis(REDIS_URL);
afterAll(() => redis.disconnect());

/** A call that fails `failures` times with `error`, then answers. */
function flaky(failures: number, error: () => unknown) {
  let calls = 0;
  const call = async () => {
    calls += 1;
    if (calls <= failures) throw error();
    return 'done';
  };
  return { call, calls: () => calls };
}

describe('withResends', () => {
  it('sends a call again after a failure without an answer (a dropped connection)', async () => {
    const c = flaky(2, () => new Error('Connection is closed.'));
    expect(await withResends(c.call)).toBe('done');
    expect(c.calls()).toBe(3);
  });

  it('gives up once its resends are spent (about ten seconds by default)', async () => {
    expect(RESEND_DELAYS_MS.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(9_000);
    const c = flaky(9, () => new Error('Connection is closed.'));
    await expect(withResends(c.call, [1, 1, 1])).rejects.toThrow('Connection is closed.');
    expect(c.calls()).toBe(4);
  });

  it('never sends again what the server answered with an error (a script may have written part of it)', async () => {
    const key = `${newPrefix()}half-done`;
    let calls = 0;
    const failing = async () => {
      calls += 1;
      await redis.eval("redis.call('INCR', KEYS[1]); error('half done')", 1, key);
    };
    await expect(withResends(failing)).rejects.toMatchObject({ name: 'ReplyError' });
    expect(calls).toBe(1);
    expect(await redis.get(key)).toBe('1');
    await redis.del(key);
  });

  it('sends again a call the server did not run (still loading its data after a restart)', async () => {
    const loading = Object.assign(new Error('LOADING Redis is loading the dataset in memory'), {
      name: 'ReplyError',
    });
    const c = flaky(2, () => loading);
    expect(await withResends(c.call, [1, 1, 1])).toBe('done');
    expect(c.calls()).toBe(3);
  });

  it('never sends again a call the store refused', async () => {
    const c = flaky(1, () => new StoreError('invalid_input', 'bad'));
    await expect(withResends(c.call)).rejects.toThrow(StoreError);
    expect(c.calls()).toBe(1);
  });

  it('judges a wrapped error by its cause, and never sends a bug again', async () => {
    const wrapped = (cause: unknown) => new Error('transport script enqueue failed', { cause });
    const lost = flaky(1, () => wrapped(new Error('Connection is closed.')));
    expect(await withResends(lost.call, [1])).toBe('done');
    const answered = Object.assign(new Error('ERR script failed'), { name: 'ReplyError' });
    for (const error of [
      wrapped(answered),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    ]) {
      const c = flaky(1, () => error);
      await expect(withResends(c.call, [1])).rejects.toBe(error);
      expect(c.calls()).toBe(1);
    }
  });
});
