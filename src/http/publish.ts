import type { Context } from 'hono';
import { type CloudEvent, EventValidationError } from '../events/index.js';
import type { HttpDeps } from './context.js';
import { badRequest } from './problem.js';

/**
 * Publishes validated events and answers 202 with what was accepted; data that fails its schema
 * (or a strict namespace) is a 400 naming the field, and nothing was written.
 */
export async function publishAndAnswer(c: Context, deps: HttpDeps, events: CloudEvent[]): Promise<Response> {
  try {
    const result = await deps.app.publish(events);
    return c.json(
      { accepted: result.events.length, events: result.events, deliveries: result.deliveries },
      202,
    );
  } catch (error) {
    if (error instanceof EventValidationError) {
      return badRequest('the event data does not match its schema', error.issues, 'invalidEvent');
    }
    throw error;
  }
}
