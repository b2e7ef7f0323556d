import { type CloudEvent, validateEnvelope } from './envelope.js';
import type { Issue, ParseResult } from './issues.js';

/**
 * Reads a batch (`application/cloudevents-batch+json`): a JSON array of structured events,
 * already JSON-parsed. Issues name the element: `[2].type`. An empty array is a valid batch.
 *
 * @example
 * parseBatch([{ specversion: '1.0', id: '1', source: '/s', type: 'a.b' }]) // { ok: true, events: [...] }
 */
export function parseBatch(body: unknown): ParseResult<CloudEvent> {
  if (!Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'expected a JSON array of CloudEvents' }] };
  }
  const events: CloudEvent[] = [];
  const issues: Issue[] = [];
  body.forEach((item, index) => {
    const result = validateEnvelope(item, `[${index}]`);
    if (result.ok) events.push(result.event);
    else issues.push(...result.issues);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, events };
}
