/** Round trips with the CloudEvents JavaScript SDK, the peer any client may publish with. */
import { HTTP, CloudEvent as SdkEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { createEvent, parseHttpEvents } from '../../src/events/index.js';
import { TRACEPARENT } from './fixtures.js';

function sdkEvent(extra: Record<string, unknown> = {}) {
  return new SdkEvent({
    id: 'sdk-1',
    source: 'https://github.com/acme/shop',
    type: 'webhook.github.push',
    subject: 'refs/heads/main',
    time: '2024-05-01T12:00:00.000Z',
    datacontenttype: 'application/json',
    data: { ref: 'main', commits: [{ id: 'c1' }] },
    traceparent: TRACEPARENT,
    correlationid: 'corr-1',
    ...extra,
  });
}

const headerRecord = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

describe('CloudEvents SDK interop', () => {
  it('reads what HTTP.structured writes', () => {
    const message = HTTP.structured(sdkEvent());
    const result = parseHttpEvents(
      String(message.headers['content-type']),
      headerRecord(message.headers),
      String(message.body),
    );
    expect(result.ok && result.events[0]).toMatchObject({
      specversion: '1.0',
      id: 'sdk-1',
      source: 'https://github.com/acme/shop',
      type: 'webhook.github.push',
      subject: 'refs/heads/main',
      time: '2024-05-01T12:00:00.000Z',
      datacontenttype: 'application/json',
      data: { ref: 'main', commits: [{ id: 'c1' }] },
      traceparent: TRACEPARENT,
      correlationid: 'corr-1',
    });
  });

  it('reads what HTTP.binary writes', () => {
    const message = HTTP.binary(sdkEvent({ tenant: 'acme' }));
    const result = parseHttpEvents(
      String(message.headers['content-type']),
      headerRecord(message.headers),
      String(message.body),
    );
    expect(result.ok && result.events[0]).toMatchObject({
      id: 'sdk-1',
      type: 'webhook.github.push',
      subject: 'refs/heads/main',
      time: '2024-05-01T12:00:00.000Z',
      data: { ref: 'main', commits: [{ id: 'c1' }] },
      traceparent: TRACEPARENT,
      tenant: 'acme',
    });
  });

  it('reads binary text data written by the SDK', () => {
    const message = HTTP.binary(sdkEvent({ datacontenttype: 'text/plain', data: 'hello' }));
    const result = parseHttpEvents(
      String(message.headers['content-type']),
      headerRecord(message.headers),
      String(message.body),
    );
    expect(result.ok && result.events[0]).toMatchObject({ datacontenttype: 'text/plain', data: 'hello' });
  });

  it('reads a batch of SDK events', () => {
    const batch = JSON.stringify([sdkEvent({ id: 'a' }), sdkEvent({ id: 'b' })]);
    const result = parseHttpEvents('application/cloudevents-batch+json', {}, batch);
    expect(result.ok && result.events.map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('builds events the SDK accepts under strict validation', () => {
    const event = createEvent({
      type: 'orchestration.task.completed',
      source: '/waooaw/worker',
      subject: 'run-1/send-email',
      data: { task_id: 't-1', result: null },
      traceparent: TRACEPARENT,
      correlationid: 'corr-1',
      causationid: 'evt-0',
      extensions: { attempt: 2, replayed: false },
    });
    const sdk = new SdkEvent(event, true);
    expect(sdk.validate()).toBe(true);
    expect(sdk.toJSON()).toMatchObject({ ...event, time: new Date(event.time!).toISOString() });
  });

  it('survives our event -> SDK binary message -> our parser', () => {
    const event = createEvent({
      type: 'orders.created',
      source: '/shop',
      data: { n: 1 },
      extensions: { tenant: 'x' },
    });
    const message = HTTP.binary(new SdkEvent(event));
    const result = parseHttpEvents(
      String(message.headers['content-type']),
      headerRecord(message.headers),
      String(message.body),
    );
    expect(result.ok && result.events[0]).toEqual(event);
  });
});
