import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../functions/worker/config.js';

const valid = {
  UPSTASH_REDIS_REST_URL: 'https://db.upstash.io',
  UPSTASH_REDIS_REST_TOKEN: 'rest-token',
  QSTASH_TOKEN: 'qstash-token',
  QSTASH_CURRENT_SIGNING_KEY: 'sig_current',
  QSTASH_NEXT_SIGNING_KEY: 'sig_next',
  PUBLIC_URL: 'https://waooaw.example.workers.dev/',
  WAOOAW_TOKEN: '0123456789abcdef',
};

describe('Worker configuration', () => {
  it('fills the defaults and reads webhook secrets from WEBHOOK_SECRET_<SOURCE>', () => {
    const config = loadWorkerConfig({ ...valid, WEBHOOK_SECRET_GIT_HUB: 'whsec', QSTASH_RETRIES: '5' });
    expect(config).toMatchObject({
      QSTASH_URL: 'https://qstash.upstash.io',
      QSTASH_RETRIES: 5,
      PUBLIC_URL: 'https://waooaw.example.workers.dev',
      WAOOAW_PREFIX: 'waooaw:',
      WAOOAW_SHARDS: 1,
      LOG_LEVEL: 'info',
      webhookSecrets: { 'git-hub': 'whsec' },
    });
  });

  it('names every missing or bad binding, never a value', () => {
    const attempt = () =>
      loadWorkerConfig({
        ...valid,
        UPSTASH_REDIS_REST_TOKEN: undefined,
        PUBLIC_URL: 'https://x.dev/app',
        WAOOAW_TOKEN: 'short-secret',
      });
    expect(attempt).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
    expect(attempt).toThrow(/PUBLIC_URL: PUBLIC_URL must be an origin/);
    expect(attempt).toThrow(/WAOOAW_TOKEN/);
    expect(attempt).not.toThrow(/short-secret/);
  });
});
