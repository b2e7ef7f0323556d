/**
 * A webhook-triggered workflow: `POST /webhooks/github` (HMAC-verified) publishes
 * `webhook.github.push`; this workflow's trigger maps the push payload to its input and runs one
 * build per push, in push order per repository (the ordering key).
 */
import { z } from 'zod';
import { defineWorkflow, trigger } from '../src/index.js';

const push = z.object({
  ref: z.string(),
  after: z.string(),
  repository: z.object({ full_name: z.string() }),
});

export const ciOnPush = defineWorkflow({
  name: 'ci-on-push',
  input: z.object({ repo: z.string(), sha: z.string(), branch: z.string() }),
  triggers: [
    trigger({
      type: 'webhook.github.push',
      schema: push,
      input: (data) => ({
        repo: data.repository.full_name,
        sha: data.after,
        branch: data.ref.replace('refs/heads/', ''),
      }),
      orderingKey: (data) => data.repository.full_name,
    }),
  ],
})
  .task('checkout', async (ctx) => ({
    dir: `/tmp/${ctx.input.repo.replace('/', '_')}-${ctx.input.sha.slice(0, 7)}`,
  }))
  .task('test', { dependsOn: ['checkout'], timeout: 60_000 }, async (ctx) => ({
    passed: true,
    dir: ctx.deps.checkout.dir,
  }))
  .task('report', { dependsOn: ['test'] }, async (ctx) => ({
    status: ctx.deps.test.passed ? 'success' : 'failure',
    sha: ctx.input.sha,
  }));
