import { describe, expect, it } from 'vitest';
import { createEvent, InvalidEventError, parseStructured } from '../../src/events/index.js';
import { pathsOf, TRACEPARENT, validEvent } from './fixtures.js';

describe('parseStructured', () => {
  it('accepts a minimal event and defaults datacontenttype to application/json', () => {
    const result = parseStructured(validEvent());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ id: 'evt-1', datacontenttype: 'application/json' });
  });

  it('keeps tracing, correlation and other extension attributes', () => {
    const result = parseStructured(
      validEvent({
        traceparent: TRACEPARENT,
        tracestate: 'vendor=abc',
        correlationid: 'corr-1',
        causationid: 'evt-0',
        tenant: 'acme',
        priority2: 3,
        replayed: true,
      }),
    );
    expect(result.ok && result.events[0]).toMatchObject({
      traceparent: TRACEPARENT,
      correlationid: 'corr-1',
      causationid: 'evt-0',
      tenant: 'acme',
      priority2: 3,
      replayed: true,
    });
  });

  it('names each missing required attribute', () => {
    const result = parseStructured({ data: {} });
    expect(result.ok).toBe(false);
    expect(pathsOf(result).sort()).toEqual(['id', 'source', 'specversion', 'type']);
    if (!result.ok) expect(result.issues.every((i) => i.message === 'required')).toBe(true);
  });

  it.each([
    ['specversion', '0.3'],
    ['id', ''],
    ['source', ''],
    ['source', 'has space'],
    ['source', 'bad scheme:x'],
    ['source', '/bad%zzescape'],
    ['type', 'orders..created'],
    ['type', 'orders created'],
    ['type', '.orders'],
    ['type', 42],
    ['time', '2024-05-01 12:00:00'],
    ['time', '2024-02-30T00:00:00Z'],
    ['time', '2024-05-01T12:00Z'],
    ['subject', ''],
    ['datacontenttype', 'json'],
    ['dataschema', '/relative/schema'],
    ['data_base64', 'not base64!'],
    ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7'],
    ['traceparent', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['traceparent', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['traceparent', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['correlationid', ''],
    ['tenant', { nested: true }],
    ['ratio', 1.5],
  ])('names %s when it is %j', (field, value) => {
    const body = validEvent({ [field]: value });
    if (field === 'data_base64') delete body.data;
    const result = parseStructured(body);
    expect(result.ok).toBe(false);
    expect(pathsOf(result)).toEqual([field]);
  });

  it('accepts URI-reference sources of every kind', () => {
    for (const source of [
      '/orders',
      'my-service',
      'https://github.com/acme/app',
      'urn:event:from:api',
      '#frag',
    ]) {
      expect(parseStructured(validEvent({ source })).ok, source).toBe(true);
    }
  });

  it('accepts RFC 3339 times with offsets and fractions, and later traceparent versions', () => {
    const time = '2024-05-01T12:00:00.123456+02:00';
    const traceparent = `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future`;
    expect(parseStructured(validEvent({ time, traceparent })).ok).toBe(true);
  });

  it('refuses extension names that are not lowercase alphanumeric within 20 characters', () => {
    const result = parseStructured(
      validEvent({ Tenant: 'x', my_ext: 'x', 'my-ext': 'x', averyveryverylongname1: 'x', okname: 'x' }),
    );
    expect(pathsOf(result).sort()).toEqual(['Tenant', 'averyveryverylongname1', 'my-ext', 'my_ext']);
  });

  it('refuses data nested deeper than 100 levels, however deep, without recursing', () => {
    const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));
    expect(parseStructured(validEvent({ data: nested(100) })).ok).toBe(true);
    // 500,000 levels: what a 1 MB body can hold; a recursive walk would overflow the stack.
    for (const levels of [101, 500_000]) {
      const result = parseStructured(validEvent({ data: nested(levels) }));
      expect(result).toEqual({
        ok: false,
        issues: [{ path: 'data', message: 'must not nest more than 100 levels deep' }],
      });
    }
    expect(parseStructured(validEvent({ data: { a: [{ b: { c: [1, 2, { d: null }] } }] } })).ok).toBe(true);
  });

  it('refuses data together with data_base64', () => {
    const result = parseStructured(validEvent({ data_base64: 'aGVsbG8=' }));
    expect(pathsOf(result)).toEqual(['data_base64']);
  });

  it('accepts data_base64 alone and marks it as octet-stream by default', () => {
    const body = validEvent({ data_base64: 'aGVsbG8=' });
    delete body.data;
    const result = parseStructured(body);
    expect(result.ok && result.events[0]?.datacontenttype).toBe('application/octet-stream');
  });

  it('treats null attributes as absent but keeps null data', () => {
    const result = parseStructured(validEvent({ subject: null, data: null }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect('subject' in result.events[0]!).toBe(false);
    expect(result.events[0]!.data).toBeNull();
  });

  it.each([[null], ['text'], [42], [[validEvent()]]])('refuses a body that is not an object: %j', (body) => {
    const result = parseStructured(body);
    expect(result).toEqual({ ok: false, issues: [{ path: '', message: expect.any(String) }] });
  });

  it('does not modify its input', () => {
    const body = validEvent({ subject: null });
    const copy = structuredClone(body);
    parseStructured(body);
    expect(body).toEqual(copy);
  });
});

describe('createEvent', () => {
  const clock = () => Date.UTC(2024, 4, 1, 12, 0, 0);

  it('fills specversion, id, time and datacontenttype', () => {
    const event = createEvent({ type: 'orders.created', source: '/shop', data: { id: 7 } }, { clock });
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      source: '/shop',
      type: 'orders.created',
      time: '2024-05-01T12:00:00.000Z',
      datacontenttype: 'application/json',
      data: { id: 7 },
    });
  });

  it('gives each event a fresh id unless one is given or generated', () => {
    const a = createEvent({ type: 'a.b', source: '/s' });
    const b = createEvent({ type: 'a.b', source: '/s' });
    expect(a.id).not.toBe(b.id);
    expect(createEvent({ type: 'a.b', source: '/s', id: 'fixed' }).id).toBe('fixed');
    expect(createEvent({ type: 'a.b', source: '/s' }, { generateId: () => 'gen-1' }).id).toBe('gen-1');
  });

  it('carries tracing, correlation and extensions, and drops undefined attributes', () => {
    const event = createEvent({
      type: 'orchestration.task.completed',
      source: '/waooaw',
      subject: undefined,
      time: new Date(clock()),
      traceparent: TRACEPARENT,
      correlationid: 'corr-1',
      causationid: 'evt-0',
      extensions: { tenant: 'acme' },
    });
    expect(event).toMatchObject({ traceparent: TRACEPARENT, correlationid: 'corr-1', tenant: 'acme' });
    expect('subject' in event).toBe(false);
    expect(event.time).toBe('2024-05-01T12:00:00.000Z');
  });

  it('throws InvalidEventError naming the bad attribute', () => {
    const attempt = () => createEvent({ type: 'bad type', source: '/s', traceparent: 'nope' });
    expect(attempt).toThrow(InvalidEventError);
    try {
      attempt();
    } catch (error) {
      expect((error as InvalidEventError).issues.map((i) => i.path).sort()).toEqual(['traceparent', 'type']);
      expect((error as Error).name).toBe('InvalidEventError');
    }
  });

  it('refuses data that is not JSON', () => {
    expect(() => createEvent({ type: 'a.b', source: '/s', data: { when: new Date() } })).toThrow(/data/);
  });
});
