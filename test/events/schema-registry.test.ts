import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SchemaRegistry } from '../../src/events/index.js';

const orderCreated = z.object({ order_id: z.string(), items: z.array(z.object({ sku: z.string() })) });

describe('SchemaRegistry', () => {
  const registry = new SchemaRegistry()
    .register('orders.created', orderCreated)
    .strictNamespace('orchestration');

  it('accepts data matching the schema of its type', () => {
    expect(registry.validate({ type: 'orders.created', data: { order_id: 'o-1', items: [] } })).toEqual({
      ok: true,
    });
  });

  it('names the bad fields under data.', () => {
    const result = registry.validate({ type: 'orders.created', data: { items: [{ sku: 1 }] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: 'data.order_id', message: 'required' },
      { path: 'data.items[0].sku', message: expect.any(String) },
    ]);
  });

  it('names data itself when it is missing or binary', () => {
    expect(registry.validate({ type: 'orders.created' })).toEqual({
      ok: false,
      issues: [{ path: 'data', message: 'required' }],
    });
    expect(registry.validate({ type: 'orders.created', data_base64: 'AA==' })).toMatchObject({
      ok: false,
      issues: [{ path: 'data' }],
    });
  });

  it('lets unknown types through outside strict namespaces', () => {
    expect(registry.validate({ type: 'webhook.github.push', data: 'anything' })).toEqual({ ok: true });
    expect(registry.validate({ type: 'orchestrationx.thing' })).toEqual({ ok: true });
  });

  it('refuses unknown types inside a strict namespace, at any depth', () => {
    for (const type of ['orchestration', 'orchestration.task.unknown', 'orchestration.a.b.c']) {
      const result = registry.validate({ type, data: {} });
      expect(result).toMatchObject({ ok: false, issues: [{ path: 'type' }] });
    }
    expect(registry.isStrict('orchestration.task.trigger')).toBe(true);
    expect(registry.isStrict('orders.created')).toBe(false);
  });

  it('parses data with a typed result', () => {
    const typed = new SchemaRegistry().register('counter.set', z.object({ value: z.number().default(0) }));
    const result = typed.parseData('counter.set', {});
    expect(result).toEqual({ ok: true, data: { value: 0 } });
    if (result.ok) {
      const value: number = result.data.value;
      expect(value).toBe(0);
    }
    expect(typed.parseData('counter.set', { value: 'x' })).toMatchObject({
      ok: false,
      issues: [{ path: 'data.value' }],
    });
  });

  it('lists, finds and refuses to overwrite schemas', () => {
    const r = new SchemaRegistry().register('a.b', orderCreated);
    expect(r.has('a.b')).toBe(true);
    expect(r.get('a.b')).toBe(orderCreated);
    expect(r.types()).toEqual(['a.b']);
    expect(() => r.register('a.b', orderCreated)).not.toThrow();
    expect(() => r.register('a.b', z.object({}))).toThrow(/already/);
    expect(() => r.register('bad type', z.object({}))).toThrow(/malformed/);
    expect(() => r.strictNamespace('bad..ns')).toThrow(/malformed/);
  });
});
