/** A minimal valid structured event, copied per test. */
export function validEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: 'evt-1',
    source: '/shop/orders',
    type: 'orders.created',
    time: '2024-05-01T12:00:00Z',
    data: { order_id: 'o-1', total: 42 },
    ...overrides,
  };
}

export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** The paths of a failed result, for compact assertions. */
export function pathsOf(result: { ok: boolean; issues?: { path: string }[] }): string[] {
  return (result.issues ?? []).map((issue) => issue.path);
}
