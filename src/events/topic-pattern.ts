import type { Issue } from './issues.js';

/**
 * Subscription patterns over dotted event types.
 * - a literal segment matches itself (`orders`);
 * - `*` matches exactly one segment;
 * - `#` (or its alias `**`) matches zero or more segments, anywhere in the pattern.
 *
 * Fan-out checks every subscription for every event, so patterns compile once into a matcher
 * (cached) that never backtracks: literal-only and `*`-only patterns compare segment by segment,
 * patterns with `#` run a small NFA in O(segments x pattern length).
 */

/** Compiled matcher: true when the dotted event type matches. Types are assumed valid. */
export type TopicMatcher = (type: string) => boolean;

const LITERAL_SEGMENT = /^[A-Za-z0-9_-]+$/;
const MULTI = '#';
const ONE = '*';

/**
 * Every problem with a pattern; empty when it is valid. Issues carry `path` (default `pattern`).
 *
 * @example
 * validatePattern('orders..created') // [{ path: 'pattern', message: 'segment 2 is empty' }]
 */
export function validatePattern(pattern: string, path = 'pattern'): Issue[] {
  if (typeof pattern !== 'string' || pattern === '') return [{ path, message: 'must not be empty' }];
  const issues: Issue[] = [];
  pattern.split('.').forEach((segment, index) => {
    const where = `segment ${index + 1}`;
    if (segment === '') issues.push({ path, message: `${where} is empty` });
    else if (segment !== ONE && segment !== MULTI && segment !== '**' && !LITERAL_SEGMENT.test(segment)) {
      issues.push({
        path,
        message: `${where} "${segment}" must be letters, digits, _ or -, or exactly one of *, # or **`,
      });
    }
  });
  return issues;
}

export function isValidPattern(pattern: string): boolean {
  return validatePattern(pattern).length === 0;
}

export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';
  constructor(
    readonly pattern: string,
    readonly issues: Issue[],
  ) {
    super(`invalid topic pattern "${pattern}": ${issues.map((i) => i.message).join('; ')}`);
  }
}

// `**` is `#`; consecutive `#` mean the same as one.
function tokensOf(pattern: string): string[] {
  const tokens: string[] = [];
  for (const raw of pattern.split('.')) {
    const token = raw === '**' ? MULTI : raw;
    if (token === MULTI && tokens[tokens.length - 1] === MULTI) continue;
    tokens.push(token);
  }
  return tokens;
}

function segmentwise(tokens: readonly string[]): TopicMatcher {
  return (type) => {
    const segments = type.split('.');
    if (segments.length !== tokens.length) return false;
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] !== ONE && tokens[i] !== segments[i]) return false;
    }
    return true;
  };
}

// NFA over pattern positions: state i = tokens[0..i) matched so far. A `#` at i may be skipped
// (epsilon to i + 1) or may consume a segment and stay at i.
function withMulti(tokens: readonly string[]): TopicMatcher {
  const size = tokens.length + 1;
  const close = (states: Uint8Array): void => {
    for (let i = 0; i < tokens.length; i++) if (states[i] && tokens[i] === MULTI) states[i + 1] = 1;
  };
  return (type) => {
    let current = new Uint8Array(size);
    current[0] = 1;
    close(current);
    for (const segment of type.split('.')) {
      const next = new Uint8Array(size);
      let alive = false;
      for (let i = 0; i < tokens.length; i++) {
        if (!current[i]) continue;
        const token = tokens[i];
        if (token === MULTI) next[i] = 1;
        else if (token === ONE || token === segment) next[i + 1] = 1;
        else continue;
        alive = true;
      }
      if (!alive) return false;
      close(next);
      current = next;
    }
    return current[tokens.length] === 1;
  };
}

/**
 * Compiles a pattern into a matcher (not cached; {@link matchesPattern} caches).
 *
 * @throws {InvalidPatternError} when the pattern is invalid.
 * @example
 * const matches = compilePattern('orders.#');
 * matches('orders.created.eu') // true
 */
export function compilePattern(pattern: string): TopicMatcher {
  const issues = validatePattern(pattern);
  if (issues.length > 0) throw new InvalidPatternError(pattern, issues);
  const tokens = tokensOf(pattern);
  if (tokens.length === 1 && tokens[0] === MULTI) return () => true;
  if (!tokens.includes(ONE) && !tokens.includes(MULTI)) return (type) => type === pattern;
  return tokens.includes(MULTI) ? withMulti(tokens) : segmentwise(tokens);
}

const CACHE_LIMIT = 10_000;
const cache = new Map<string, TopicMatcher>();
const never: TopicMatcher = () => false;

/** The cached matcher of a pattern; an invalid pattern gets one that never matches. */
export function matcherFor(pattern: string): TopicMatcher {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    matcher = isValidPattern(pattern) ? compilePattern(pattern) : never;
    // Bounded: drop the oldest entry so unbounded distinct patterns cannot grow memory.
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, matcher);
  }
  return matcher;
}

/**
 * True when `type` matches `pattern`. Invalid patterns match nothing (check them with
 * {@link validatePattern} when a subscription is created).
 *
 * @example
 * matchesPattern('orders.*', 'orders.created') // true
 * matchesPattern('#.failed', 'orchestration.task.failed') // true
 */
export function matchesPattern(pattern: string, type: string): boolean {
  return matcherFor(pattern)(type);
}
