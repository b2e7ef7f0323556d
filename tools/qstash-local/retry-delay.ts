import { BadRequestError } from './durations.js';

/** How long to wait before retry number `retried + 1`, in ms. */
export type RetryBackoff = (retried: number) => number;

/** QStash's default backoff: e^(2.5·n) seconds for the n-th retry, at most a day. */
export const qstashBackoff: RetryBackoff = (retried) =>
  Math.min(86_400, Math.exp(2.5 * (retried + 1))) * 1000;

const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  pow: Math.pow,
  sqrt: Math.sqrt,
  abs: Math.abs,
  exp: Math.exp,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  min: Math.min,
  max: Math.max,
};

/**
 * Compile an `Upstash-Retry-Delay` expression (ms, variable `retried`, functions pow, sqrt, abs,
 * exp, floor, ceil, round, min, max; operators + - * / and parentheses) into a backoff.
 * A small recursive-descent parser: the expression is never passed to `eval`.
 *
 * @example
 * compileRetryDelay('pow(2, retried) * 1000')(3) // 8000
 */
export function compileRetryDelay(expression: string): RetryBackoff {
  const tokens = expression.match(/\d+(?:\.\d+)?|[A-Za-z_]+|[-+*/(),]|\S/g) ?? [];
  // Parse once to reject bad expressions at publish time.
  evaluate(tokens, 0, expression);
  return (retried) => Math.max(0, evaluate(tokens, retried, expression));
}

function evaluate(tokens: string[], retried: number, source: string): number {
  let at = 0;
  const fail = (): never => {
    throw new BadRequestError(`invalid Upstash-Retry-Delay expression: ${JSON.stringify(source)}`);
  };
  const peek = () => tokens[at];
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token !== expected)) fail();
    return token as string;
  };
  const sum = (): number => {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product();
    return value;
  };
  const product = (): number => {
    let value = unary();
    while (peek() === '*' || peek() === '/') value = take() === '*' ? value * unary() : value / unary();
    return value;
  };
  const unary = (): number => {
    if (peek() !== '-') return primary();
    take();
    return -unary();
  };
  const primary = (): number => {
    const token = take();
    if (token === '(') {
      const value = sum();
      take(')');
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    if (token === 'retried') return retried;
    const fn = FUNCTIONS[token];
    if (!fn) return fail();
    take('(');
    const args = [sum()];
    while (peek() === ',') {
      take();
      args.push(sum());
    }
    take(')');
    return fn(...args);
  };
  const value = sum();
  if (at !== tokens.length || !Number.isFinite(value)) fail();
  return value;
}
