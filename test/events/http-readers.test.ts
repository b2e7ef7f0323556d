import { describe, expect, it } from 'vitest';
import { parseBatch, parseBinary, parseHttpEvents } from '../../src/events/index.js';
import { pathsOf, TRACEPARENT, validEvent } from './fixtures.js';

const binaryHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  'ce-specversion': '1.0',
  'ce-id': 'evt-1',
  'ce-source': '/shop/orders',
  'ce-type': 'orders.created',
  'content-type': 'application/json',
  ...extra,
});

describe('parseBinary', () => {
  it('reads attributes from ce-* headers and parses a JSON body', () => {
    const result = parseBinary(
      binaryHeaders({
        'ce-time': '2024-05-01T12:00:00Z',
        'ce-traceparent': TRACEPARENT,
        'ce-tenant': 'acme',
      }),
      '{"order_id":"o-1"}',
    );
    expect(result.ok && result.events[0]).toEqual({
      specversion: '1.0',
      id: 'evt-1',
      source: '/shop/orders',
      type: 'orders.created',
      time: '2024-05-01T12:00:00Z',
      traceparent: TRACEPARENT,
      tenant: 'acme',
      datacontenttype: 'application/json',
      data: { order_id: 'o-1' },
    });
  });

  it('accepts a Headers object with any header case, and bytes as the body', () => {
    const headers = new Headers({
      'CE-SpecVersion': '1.0',
      'Ce-Id': '1',
      'ce-source': '/s',
      'CE-TYPE': 'a.b',
    });
    headers.set('Content-Type', 'application/json; charset=utf-8');
    const result = parseBinary(headers, new TextEncoder().encode('[1,2]'));
    expect(result.ok && result.events[0]?.data).toEqual([1, 2]);
  });

  it('percent-decodes header values', () => {
    const result = parseBinary(binaryHeaders({ 'ce-subject': 'caf%C3%A9%20%22x%22%25' }), '');
    expect(result.ok && result.events[0]?.subject).toBe('café "x"%');
  });

  it('keeps non-JSON text as string data and other bytes as data_base64', () => {
    const text = parseBinary(binaryHeaders({ 'content-type': 'text/plain' }), 'hello');
    expect(text.ok && text.events[0]).toMatchObject({ datacontenttype: 'text/plain', data: 'hello' });
    const xml = parseBinary(
      binaryHeaders({ 'content-type': 'application/xml' }),
      new TextEncoder().encode('<a/>'),
    );
    expect(xml.ok && xml.events[0]?.data).toBe('<a/>');
    const bytes = parseBinary(
      binaryHeaders({ 'content-type': 'application/octet-stream' }),
      new Uint8Array([0, 255, 1]),
    );
    expect(bytes.ok && bytes.events[0]).toMatchObject({ data_base64: 'AP8B' });
    expect(bytes.ok && 'data' in bytes.events[0]!).toBe(false);
  });

  it('has no data for an empty body', () => {
    const result = parseBinary(binaryHeaders(), '');
    expect(result.ok && 'data' in result.events[0]!).toBe(false);
  });

  it('names the header of each bad or missing attribute', () => {
    const result = parseBinary(
      { 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 'bad type', 'ce-time': 'yesterday' },
      '',
    );
    expect(pathsOf(result).sort()).toEqual(['ce-id', 'ce-time', 'ce-type']);
  });

  it('names a bad content-type, bad extension header names and malformed percent-encoding', () => {
    const result = parseBinary(
      binaryHeaders({ 'content-type': 'nonsense', 'ce-my_ext': 'x', 'ce-subject': '%E0%A4%A' }),
      'x',
    );
    expect(pathsOf(result).sort()).toEqual(['ce-my_ext', 'ce-subject', 'content-type']);
  });

  it('refuses data attributes in headers and a JSON body that does not parse', () => {
    expect(pathsOf(parseBinary(binaryHeaders({ 'ce-datacontenttype': 'text/plain' }), ''))).toEqual([
      'ce-datacontenttype',
    ]);
    expect(pathsOf(parseBinary(binaryHeaders(), '{not json'))).toEqual(['body']);
    expect(pathsOf(parseBinary(binaryHeaders(), new Uint8Array([0xff, 0xfe])))).toEqual(['body']);
  });
});

describe('parseBatch', () => {
  it('reads every event of an array, and an empty array', () => {
    const result = parseBatch([validEvent({ id: 'a' }), validEvent({ id: 'b' })]);
    expect(result.ok && result.events.map((e) => e.id)).toEqual(['a', 'b']);
    expect(parseBatch([])).toEqual({ ok: true, events: [] });
  });

  it('names the index and the field of each bad element', () => {
    const result = parseBatch([
      validEvent(),
      validEvent({ type: 'x..y' }),
      'not an event',
      validEvent({ id: undefined, Upper: 1 }),
    ]);
    expect(pathsOf(result)).toEqual(['[1].type', '[2]', '[3].Upper', '[3].id']);
  });

  it('refuses a body that is not an array', () => {
    expect(pathsOf(parseBatch(validEvent()))).toEqual(['']);
  });
});

describe('parseHttpEvents', () => {
  const json = (value: unknown) => JSON.stringify(value);

  it('reads structured mode', () => {
    const result = parseHttpEvents('application/cloudevents+json; charset=utf-8', {}, json(validEvent()));
    expect(result.ok && result.events).toHaveLength(1);
  });

  it('reads batch mode, naming the element of a problem', () => {
    const ok = parseHttpEvents('application/cloudevents-batch+json', {}, json([validEvent(), validEvent()]));
    expect(ok.ok && ok.events).toHaveLength(2);
    const bad = parseHttpEvents('application/cloudevents-batch+json', {}, json([validEvent(), { id: 1 }]));
    expect(pathsOf(bad)).toContain('[1].id');
  });

  it('reads binary mode when ce-* headers are present, even with application/json', () => {
    const result = parseHttpEvents('application/json', binaryHeaders(), '{"a":1}');
    expect(result.ok && result.events[0]).toMatchObject({ id: 'evt-1', data: { a: 1 } });
  });

  it('treats plain JSON objects as structured and arrays as batches', () => {
    expect(parseHttpEvents('application/json', {}, json(validEvent())).ok).toBe(true);
    const batch = parseHttpEvents(
      undefined,
      {},
      new TextEncoder().encode(json([validEvent(), validEvent()])),
    );
    expect(batch.ok && batch.events).toHaveLength(2);
  });

  it('names the body when it is not JSON and the content type when it is unsupported', () => {
    expect(pathsOf(parseHttpEvents('application/cloudevents+json', {}, '{'))).toEqual(['body']);
    expect(pathsOf(parseHttpEvents('application/cloudevents-batch+json', {}, '['))).toEqual(['body']);
    expect(pathsOf(parseHttpEvents('application/json', {}, 'nope'))).toEqual(['body']);
    expect(pathsOf(parseHttpEvents('text/plain', {}, 'hi'))).toEqual(['content-type']);
    expect(pathsOf(parseHttpEvents('application/cloudevents+avro', {}, 'x'))).toEqual(['content-type']);
  });
});
