import { describe, expect, it } from 'vitest';
import { RUN_KEY_SUFFIXES, StoreKeys, stableHash } from '../../src/store/keys.js';

const tagOf = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];

describe('StoreKeys', () => {
  it('puts every key of a run and its shard indexes under one hash tag', () => {
    const keys = new StoreKeys('p:', 8);
    const run = keys.run('order-42');
    const tags = new Set(Object.values(run).map(tagOf));
    expect(tags).toEqual(new Set([`runs:${keys.shardOf('order-42')}`]));
    expect(run.meta.startsWith('p:{runs:')).toBe(true);
    expect(run.tasks).toBe(keys.runKeyBase(keys.shardOf('order-42')) + 'order-42' + RUN_KEY_SUFFIXES.tasks);
  });

  it('shards by a stable hash and keeps the bus under its own tag', () => {
    const keys = new StoreKeys('p:', 4);
    expect(stableHash('abc')).toBe(stableHash('abc'));
    expect(stableHash('')).toBe(0x811c9dc5);
    const shards = new Set(Array.from({ length: 200 }, (_, i) => keys.shardOf(`run-${i}`)));
    expect(shards).toEqual(new Set([0, 1, 2, 3]));
    expect(keys.allShards()).toEqual([0, 1, 2, 3]);
    expect(new Set(Object.values(keys.bus()).map(tagOf))).toEqual(new Set(['bus']));
    expect(tagOf(keys.dlqBySubscription('s1'))).toBe('bus');
    expect(new StoreKeys().run('x').meta).toBe('waooaw:{runs:0}:run:x');
  });

  it('refuses a bad shard count and escapes the scan pattern', () => {
    expect(() => new StoreKeys('p:', 0)).toThrow(RangeError);
    expect(new StoreKeys('a*b[c]:').pattern()).toBe('a\\*b\\[c\\]:*');
  });
});
