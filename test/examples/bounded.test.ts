import { describe, expect, it } from 'vitest';
import { pushBounded } from '../../examples/bounded.js';

describe('the examples’ in-memory journals', () => {
  it('keep the most recent entries only', () => {
    const list: number[] = [];
    for (let i = 0; i < 25; i++) pushBounded(list, i, 10);
    expect(list).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });
});
