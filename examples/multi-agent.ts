/**
 * Multi-agent collaboration: a planner splits a goal, a researcher and an analyst work in parallel
 * (each a different "agent"), a critic reviews both, and a writer produces the answer. Agents with
 * an external rate limit share a concurrency key, so at most two research calls run per tenant.
 *
 *   plan ─┬─▶ research ─┬─▶ critique ─▶ write
 *         └─▶ analyse  ─┘
 */
import { z } from 'zod';
import { defineWorkflow, trigger } from '../src/index.js';

const input = z.object({ goal: z.string().min(1), tenant: z.string().default('default') });

export const multiAgent = defineWorkflow({
  name: 'multi-agent-collaboration',
  input,
  triggers: [trigger({ type: 'agents.goal.submitted', schema: input })],
})
  .task('plan', async (ctx) => ({
    questions: [`What is known about ${ctx.input.goal}?`, `What are the risks of ${ctx.input.goal}?`],
  }))
  .task(
    'research',
    {
      dependsOn: ['plan'],
      concurrency: { limit: 2, key: (c) => c.input.tenant },
      retry: { maxAttempts: 3, baseDelayMs: 50 },
    },
    async (ctx) => ({ findings: ctx.deps.plan.questions.map((q) => `finding for "${q}"`) }),
  )
  .task('analyse', { dependsOn: ['plan'], priority: 'HIGH' }, async (ctx) => ({
    score: ctx.deps.plan.questions.length * 10,
  }))
  .task('critique', { dependsOn: ['research', 'analyse'] }, async (ctx) => ({
    approved: ctx.deps.research.findings.length > 0 && ctx.deps.analyse.score > 0,
    notes: `checked ${ctx.deps.research.findings.length} findings`,
  }))
  .task('write', { dependsOn: ['critique', 'research'] }, async (ctx) => ({
    answer: `${ctx.input.goal}: ${ctx.deps.research.findings.join('; ')}`,
    approved: ctx.deps.critique.approved,
  }));
