import { defineConfig } from 'vitest/config';

/**
 * The Workers suite: each test file runs a bundled Worker in workerd (miniflare), over a real Redis
 * behind the local Upstash REST endpoint, with every invocation delivered by the local QStash.
 * Kept apart from the main suite (whose config excludes test/workers): `vitest run --config
 * test/workers/vitest.config.ts`.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['test/workers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
