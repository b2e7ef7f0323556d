import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  isNonRetriable,
  NonRetriableError,
  RetryAfterError,
  RunCancelledError,
  retryAfterOf,
  serializeError,
  TaskTimeoutError,
  WorkflowDefinitionError,
} from '../../src/orchestration/index.js';

describe('error classes', () => {
  const cause = new Error('root');
  it.each([
    [new NonRetriableError('no', { cause }), 'NonRetriableError', 'no'],
    [new RetryAfterError('later', 100, { cause }), 'RetryAfterError', 'later'],
    [
      new TaskTimeoutError('provisionDb', 5000, { cause }),
      'TaskTimeoutError',
      "task 'provisionDb' timed out after 5000 ms",
    ],
    [
      new RunCancelledError('run-1', 'user request', { cause }),
      'RunCancelledError',
      "run 'run-1' was cancelled: user request",
    ],
    [new WorkflowDefinitionError('bad', { code: 'cycle', cause }), 'WorkflowDefinitionError', 'bad'],
    [
      new InvalidInputError('wf', 'email: required', { cause }),
      'InvalidInputError',
      "invalid input for workflow 'wf': email: required",
    ],
  ])('%s sets name, message and cause', (error, name, message) => {
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
    expect(error.cause).toBe(cause);
    expect(String(error.stack)).toContain(name);
  });

  it('normalises retryAfterMs to a non-negative integer', () => {
    expect(new RetryAfterError('x', 10.2).retryAfterMs).toBe(11);
    expect(new RetryAfterError('x', -5).retryAfterMs).toBe(0);
    expect(new RetryAfterError('x', Number.NaN).retryAfterMs).toBe(0);
    expect(retryAfterOf(new RetryAfterError('x', 20))).toBe(20);
    expect(retryAfterOf({ name: 'RetryAfterError', retryAfterMs: 'soon' })).toBeUndefined();
    expect(retryAfterOf(new Error('x'))).toBeUndefined();
  });

  it('classifies non-retriable errors', () => {
    expect(isNonRetriable(new NonRetriableError('x'))).toBe(true);
    expect(isNonRetriable(new RunCancelledError('r'))).toBe(true);
    expect(isNonRetriable(new TaskTimeoutError('t', 1))).toBe(false);
    expect(isNonRetriable('NonRetriableError')).toBe(false);
    expect(isNonRetriable(null)).toBe(false);
  });
});

describe('serializeError', () => {
  it('writes Name: message, then the causes', () => {
    expect(serializeError(new TypeError('boom'))).toBe('TypeError: boom');
    expect(serializeError(new Error('a', { cause: new RangeError('b', { cause: 'c' }) }))).toBe(
      'Error: a [cause: RangeError: b [cause: c]]',
    );
    expect(serializeError(new TaskTimeoutError('t', 10))).toBe(
      "TaskTimeoutError: task 't' timed out after 10 ms",
    );
    expect(serializeError(new Error(''))).toBe('Error');
  });

  it('stops following causes after a few levels (cycles included)', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(serializeError(a)).toBe('Error: a [cause: Error: b [cause: Error: a [cause: Error: b]]]');
  });

  it('is safe on anything thrown', () => {
    expect(serializeError('plain')).toBe('plain');
    expect(serializeError(42)).toBe('42');
    expect(serializeError(undefined)).toBe('undefined');
    expect(serializeError(null)).toBe('null');
    expect(serializeError({ code: 'E1' })).toBe('{"code":"E1"}');
    expect(serializeError({ message: 'like an error' })).toBe('Error: like an error');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(serializeError(circular)).toBe('[object Object]');
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no');
        },
      },
    );
    expect(serializeError(hostile)).toBe('Unserializable error');
    expect(serializeError(Symbol('s'))).toBe('Symbol(s)');
  });

  it('truncates to maxLength', () => {
    const text = serializeError(new Error('x'.repeat(100)), { maxLength: 20 });
    expect(text).toHaveLength(20);
    expect(text.endsWith('…')).toBe(true);
  });
});
