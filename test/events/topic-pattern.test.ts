import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  InvalidPatternError,
  isValidPattern,
  matcherFor,
  matchesPattern,
  validatePattern,
} from '../../src/events/index.js';

/** The obvious recursive definition, to check the compiled matcher against. */
function reference(pattern: readonly string[], type: readonly string[]): boolean {
  if (pattern.length === 0) return type.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#' || head === '**')
    return reference(rest, type) || (type.length > 0 && reference(pattern, type.slice(1)));
  if (type.length === 0) return false;
  return (head === '*' || head === type[0]) && reference(rest, type.slice(1));
}

// A tiny alphabet so that random patterns and types often meet.
const segment = fc.constantFrom('a', 'b', 'orders', 'x-1');
const typeSegments = fc.array(segment, { minLength: 1, maxLength: 7 });
const patternSegments = fc.array(fc.oneof(segment, fc.constantFrom('*', '#', '**')), {
  minLength: 1,
  maxLength: 7,
});

// Patterns derived from a type, so that many of them match it.
const typeWithPattern = typeSegments.chain((type) =>
  fc
    .array(fc.constantFrom('keep', 'star', 'hash-before', 'hash-instead'), {
      minLength: type.length,
      maxLength: type.length,
    })
    .map((moves) => {
      const pattern = type.flatMap((seg, i) => {
        const move = moves[i];
        if (move === 'star') return ['*'];
        if (move === 'hash-before') return ['#', seg];
        if (move === 'hash-instead') return ['**'];
        return [seg];
      });
      return { type, pattern };
    }),
);

describe('matchesPattern', () => {
  it.each([
    ['orders.*', 'orders.created', true],
    ['orders.*', 'orders', false],
    ['orders.*', 'orders.created.eu', false],
    ['orders.created', 'orders.created', true],
    ['orders.created', 'orders.updated', false],
    ['#', 'anything.at.all', true],
    ['**', 'one', true],
    ['#.failed', 'orchestration.task.failed', true],
    ['#.failed', 'failed', true],
    ['#.failed', 'orchestration.task.completed', false],
    ['orders.#', 'orders', true],
    ['orders.#', 'orders.created.eu', true],
    ['orders.#', 'shipments.created', false],
    ['orchestration.#.failed', 'orchestration.failed', true],
    ['orchestration.#.failed', 'orchestration.workflow.failed', true],
    ['orchestration.**.failed', 'orchestration.a.b.c.failed', true],
    ['orchestration.#.failed', 'orchestration.task.failed.twice', false],
    ['*.*.push', 'webhook.github.push', true],
    ['*.#', 'webhook', true],
    ['#.*.#', 'webhook', true],
    ['a.#.#.b', 'a.b', true],
    ['*.*', 'a', false],
  ])('%s vs %s → %s', (pattern, type, expected) => {
    expect(matchesPattern(pattern, type)).toBe(expected);
  });

  it('is case sensitive', () => {
    expect(matchesPattern('Orders.*', 'orders.created')).toBe(false);
  });

  it('never matches with an invalid pattern', () => {
    expect(matchesPattern('orders..*', 'orders.x.y')).toBe(false);
    expect(matchesPattern('', '')).toBe(false);
  });

  it('agrees with the recursive reference on random patterns', () => {
    fc.assert(
      fc.property(patternSegments, typeSegments, (pattern, type) => {
        expect(matchesPattern(pattern.join('.'), type.join('.'))).toBe(reference(pattern, type));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the reference on patterns derived from the type (mostly matches)', () => {
    fc.assert(
      fc.property(typeWithPattern, typeSegments, ({ type, pattern }, other) => {
        const compiled = compilePattern(pattern.join('.'));
        expect(compiled(type.join('.'))).toBe(true);
        expect(compiled(other.join('.'))).toBe(reference(pattern, other));
      }),
      { numRuns: 1000 },
    );
  });

  it('treats ** as #', () => {
    fc.assert(
      fc.property(patternSegments, typeSegments, (pattern, type) => {
        const withHash = pattern.map((s) => (s === '**' ? '#' : s)).join('.');
        expect(matchesPattern(pattern.join('.'), type.join('.'))).toBe(
          matchesPattern(withHash, type.join('.')),
        );
      }),
    );
  });

  it('caches the compiled matcher', () => {
    expect(matcherFor('cache.*.test')).toBe(matcherFor('cache.*.test'));
  });
});

describe('validatePattern', () => {
  it('accepts literals and whole-segment wildcards', () => {
    for (const pattern of ['orders', 'orders.*', '#', '**', 'a.#.b', 'webhook.github-app.push_v2', '*.*']) {
      expect(validatePattern(pattern), pattern).toEqual([]);
      expect(isValidPattern(pattern)).toBe(true);
    }
  });

  it.each([
    ['', /empty/],
    ['orders.', /segment 2 is empty/],
    ['.orders', /segment 1 is empty/],
    ['orders..created', /segment 2 is empty/],
    ['orders.cre*', /segment 2/],
    ['orders.#x', /segment 2/],
    ['orders.***', /segment 2/],
    ['orders created', /segment 1/],
  ])('refuses %j', (pattern, message) => {
    const issues = validatePattern(pattern);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ path: 'pattern', message: expect.stringMatching(message) });
  });

  it('uses the path it is given', () => {
    expect(validatePattern('a..b', 'subscriptions[0].pattern')[0]?.path).toBe('subscriptions[0].pattern');
  });

  it('makes compilePattern throw InvalidPatternError', () => {
    expect(() => compilePattern('a..b')).toThrow(InvalidPatternError);
  });
});
