import { Receiver } from '@upstash/qstash';
import { describe, expect, it } from 'vitest';
import { parseDuration, retryAfterMs } from '../../tools/qstash-local/durations.js';
import { parsePublish } from '../../tools/qstash-local/publish-headers.js';
import { compileRetryDelay, qstashBackoff } from '../../tools/qstash-local/retry-delay.js';
import { signDelivery } from '../../tools/qstash-local/signer.js';

describe('qstash-local durations', () => {
  it('parses QStash delays and timeouts', () => {
    expect(parseDuration('10')).toBe(10_000);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1d1h30m')).toBe(86_400_000 + 3_600_000 + 1_800_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('10x')).toBeUndefined();
  });

  it('reads Retry-After as seconds, HTTP date or Go duration, ignoring more than a day', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0' }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after': '6m5s' }), now)).toBe(365_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset-tokens': '250ms' }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10_000);
    expect(retryAfterMs(new Headers({ 'retry-after': String(2 * 86_400) }), now)).toBeUndefined();
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});

describe('qstash-local retry delays', () => {
  it('evaluates Upstash-Retry-Delay expressions with `retried`', () => {
    expect(compileRetryDelay('1000')(5)).toBe(1000);
    expect(compileRetryDelay('pow(2, retried) * 1000')(3)).toBe(8000);
    expect(compileRetryDelay('min(86400000, exp(2.5 * (retried + 1)) * 1000)')(0)).toBeCloseTo(12_182.49, 1);
    expect(compileRetryDelay('max(10, -retried + 5) / 2')(0)).toBe(5);
    expect(() => compileRetryDelay('retried; process.exit()')).toThrow(/invalid Upstash-Retry-Delay/);
    expect(() => compileRetryDelay('foo(1)')).toThrow(/invalid/);
    expect(() => compileRetryDelay('(1')).toThrow(/invalid/);
  });

  it('defaults to QStash backoff: about 12 s, 2.5 min, 30 min, capped at a day', () => {
    expect(Math.round(qstashBackoff(0) / 1000)).toBe(12);
    expect(Math.round(qstashBackoff(1) / 1000)).toBe(148);
    expect(Math.round(qstashBackoff(2) / 1000)).toBe(1808);
    expect(qstashBackoff(10)).toBe(86_400_000);
  });
});

describe('qstash-local publish headers', () => {
  const now = 1_700_000_000_000;
  const parse = (headers: Record<string, string>, destination = 'https://example.com/hook?x=1') =>
    parsePublish(destination, new Headers(headers), new TextEncoder().encode('body'), {
      defaultRetries: 3,
      nowMs: now,
    });

  it('forwards Upstash-Forward-* headers and Content-Type, and reads message options', () => {
    const { draft, dedupId } = parse({
      'content-type': 'text/plain',
      'upstash-forward-x-tenant': 'acme',
      'upstash-method': 'put',
      'upstash-retries': '5',
      'upstash-retry-delay': '1000 * retried',
      'upstash-delay': '2m',
      'upstash-timeout': '30s',
      'upstash-label': 'a,b',
      'upstash-deduplication-id': 'd1',
    });
    expect(draft).toMatchObject({
      url: 'https://example.com/hook?x=1',
      method: 'PUT',
      headers: { 'x-tenant': 'acme', 'content-type': 'text/plain' },
      maxRetries: 5,
      retryDelay: '1000 * retried',
      timeoutMs: 30_000,
      label: 'a,b',
      notBefore: now + 120_000,
    });
    expect(dedupId).toBe('d1');
  });

  it('lets Upstash-Not-Before win over Upstash-Delay', () => {
    expect(parse({ 'upstash-delay': '1h', 'upstash-not-before': '1700000100' }).draft.notBefore).toBe(
      1_700_000_100_000,
    );
  });

  it('reads callback and failure-callback configuration and forwarded headers', () => {
    const { draft } = parse({
      'upstash-callback': 'https://example.com/cb',
      'upstash-callback-retries': '1',
      'upstash-callback-method': 'PUT',
      'upstash-callback-forward-x-a': '1',
      'upstash-failure-callback': 'https://example.com/fail',
      'upstash-failure-callback-forward-x-b': '2',
      'upstash-failure-callback-delay': '5s',
    });
    expect(draft.callback).toEqual({
      url: 'https://example.com/cb',
      method: 'PUT',
      retries: 1,
      headers: { 'x-a': '1' },
    });
    expect(draft.failureCallback).toEqual({
      url: 'https://example.com/fail',
      method: 'POST',
      delayMs: 5000,
      headers: { 'x-b': '2' },
    });
    expect(draft.headers).toEqual({});
  });

  it('reads flow control as the SDK writes it', () => {
    const { draft } = parse({
      'upstash-flow-control-key': 'tenant-1',
      'upstash-flow-control-value': 'parallelism=2, rate=10, period=1s',
    });
    expect(draft).toMatchObject({ flowControlKey: 'tenant-1', parallelism: 2, rate: 10, period: '1s' });
  });

  it('derives a content-based dedup id from destination, body and forwarded headers', () => {
    const a = parse({ 'upstash-content-based-deduplication': 'true', 'upstash-forward-x': '1' }).dedupId;
    const b = parse({ 'upstash-content-based-deduplication': 'true', 'upstash-forward-x': '1' }).dedupId;
    const c = parse({ 'upstash-content-based-deduplication': 'true', 'upstash-forward-x': '2' }).dedupId;
    expect(a).toBeDefined();
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('rejects malformed headers and destinations that are not http(s) URLs', () => {
    expect(() => parse({ 'upstash-retries': 'many' })).toThrow(/invalid upstash-retries/);
    expect(() => parse({ 'upstash-method': 'FETCH' })).toThrow(/invalid upstash-method/);
    expect(() => parse({ 'upstash-delay': 'later' })).toThrow(/invalid upstash-delay/);
    expect(() => parse({}, 'my-url-group')).toThrow(/no URL groups/);
    expect(() => parse({}, 'ftp://example.com/x')).toThrow(/only http and https/);
  });
});

describe('qstash-local signatures', () => {
  it('signs JWTs the real Receiver verifies with the current or the next key, checking url and body', async () => {
    const body = '{"unicode":"ü🚀"}';
    const url = 'http://127.0.0.1:1234/invoke';
    const signature = signDelivery('sig_cur', url, Buffer.from(body));
    const receiver = new Receiver({ currentSigningKey: 'sig_cur', nextSigningKey: 'sig_next' });
    await expect(receiver.verify({ signature, body, url })).resolves.toBe(true);
    const rotated = new Receiver({ currentSigningKey: 'sig_old', nextSigningKey: 'sig_cur' });
    await expect(rotated.verify({ signature, body, url })).resolves.toBe(true);
    await expect(receiver.verify({ signature, body, url: `${url}x` })).rejects.toThrow(/invalid subject/);

    const [, payload] = signature.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    expect(claims).toMatchObject({ iss: 'Upstash', sub: url });
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.jti).toMatch(/^jwt_/);
    expect(claims.body).toMatch(/^[A-Za-z0-9_-]+=*$/);
  });

  it('produces signatures that expire after five minutes', async () => {
    const signature = signDelivery('sig_cur', 'http://x/', Buffer.from(''), Date.now() - 10 * 60_000);
    // Both keys the same, so the error reported (the second key's) is about expiry.
    const receiver = new Receiver({ currentSigningKey: 'sig_cur', nextSigningKey: 'sig_cur' });
    await expect(receiver.verify({ signature, body: '' })).rejects.toThrow(/exp/);
  });
});
