import { describe, expect, it } from 'vitest';
import { signDelivery } from '../../tools/qstash-local/signer.js';
import { useEdge } from './support/edge.js';

/** A QStash `Upstash-Signature` over the URL and the body, with any key (the dev server's signer). */
const qstashSignature = (key: string, url: string, body: string) => signDelivery(key, url, Buffer.from(body));

const edge = useEdge();

describe('Worker in workerd: invocation signatures', () => {
  it('refuses unsigned, wrongly signed, misaddressed and tampered invocations before anything runs', async () => {
    const scope = edge.control.scope();
    // A well-formed invocation: run with the right signature, it would be handled (and acknowledged).
    const body = JSON.stringify({
      kind: 'task',
      runId: 'run_00000000000000000000000000000000',
      workflow: 'edge-chain',
      task: 'a',
      attempt: 1,
      phase: 'execute',
    });
    const invokeUrl = `${edge.url}/invoke`;
    const keysBefore = await edge.keys();
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(invokeUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });

    const refused = [
      await post({}),
      await post({ 'upstash-signature': 'not-a-jwt' }),
      await post({ 'upstash-signature': qstashSignature('sig_wrong_key', invokeUrl, body) }),
      await post({
        'upstash-signature': qstashSignature(edge.signingKeys.current, `${edge.url}/elsewhere`, body),
      }),
      await post(
        { 'upstash-signature': qstashSignature(edge.signingKeys.current, invokeUrl, body) },
        body.replace('"attempt":1', '"attempt":2'),
      ),
    ];
    for (const response of refused) {
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    const callback = await fetch(`${edge.url}/callbacks/failure`, { method: 'POST', body: '{}' });
    expect(callback.status).toBe(401);

    expect(await edge.keys()).toEqual(keysBefore);
    expect(edge.redisTraffic.requests).toBe(0);
    expect(scope.calls()).toEqual([]);

    // The same body signed with the current key, then with the next one (key rotation), is accepted.
    for (const key of [edge.signingKeys.current, edge.signingKeys.next]) {
      const accepted = await post({ 'upstash-signature': qstashSignature(key, invokeUrl, body) });
      expect(accepted.status).toBe(200);
    }
  });
});
