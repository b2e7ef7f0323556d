import { describe, expect, it } from 'vitest';
import { transportKeys } from '../../src/transport/index.js';
import * as lua from '../../src/transport/redis/lua/generated/index.js';

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('transport keys', () => {
  const all = (prefix: string) => {
    const keys = transportKeys(prefix);
    const fixed = Object.values(keys).filter((v): v is string => typeof v === 'string');
    return [...fixed, keys.dedup('d-1'), keys.parked('run:1'), keys.claim('c-1')];
  };

  it('start with the prefix and share one hash tag', () => {
    const keys = all('app:');
    expect(keys.every((k) => k.startsWith('app:'))).toBe(true);
    expect(new Set(keys.map(hashTag))).toEqual(new Set(['transport']));
  });

  it('let a prefix carrying its own hash tag choose the slot', () => {
    expect(new Set(all('{tenant-a}:').map(hashTag))).toEqual(new Set(['tenant-a']));
  });
});

describe('transport Lua scripts', () => {
  it('are versioned and declare their key count in the header contract', () => {
    for (const script of Object.values(lua.scripts)) {
      expect(script.name).toMatch(/^waooaw:v\d+:[a-zA-Z]+$/);
      expect(script.lua.startsWith(`-- ${script.name}\n`)).toBe(true);
      expect(script.numberOfKeys).toBeGreaterThan(0);
      expect(script.lua).toContain(`KEYS[${script.numberOfKeys}]`);
    }
  });
});
