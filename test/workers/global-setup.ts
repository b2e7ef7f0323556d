import { buildWorker } from './support/build.js';

/** Builds the production Worker and the Worker under test once, before any test file runs. */
export default async function setup(): Promise<void> {
  await Promise.all([buildWorker('functions/worker.ts'), buildWorker('test/workers/worker-under-test.ts')]);
}
