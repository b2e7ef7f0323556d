/**
 * Trial provisioning: create an account, provision its resources in parallel, send a welcome mail.
 * If a step fails for good, the completed steps are undone in reverse order (saga).
 *
 *   trial.requested ─▶ createAccount ─┬─▶ provisionDatabase ─┬─▶ sendWelcome
 *                                     └─▶ provisionStorage  ─┘
 *
 * Set `input.failAt` to a task name to watch the compensation run.
 */
import { z } from 'zod';
import { defineWorkflow, NonRetriableError, trigger } from '../src/index.js';
import { pushBounded } from './bounded.js';

const input = z.object({
  email: z.email(),
  plan: z.enum(['starter', 'pro']).default('starter'),
  /** Demo switch: this step fails for good. */
  failAt: z.enum(['provisionDatabase', 'provisionStorage', 'sendWelcome']).optional(),
});

/** What happened, in order, so the demo (and its test) can show the saga. */
/** The most recent entries (at most 1,000: the examples may serve for a long time). */
export const trialJournal: string[] = [];

function failIf(step: string, failAt: string | undefined): void {
  if (step === failAt) throw new NonRetriableError(`${step} failed (demo)`);
}

export const trialProvisioning = defineWorkflow({
  name: 'trial-provisioning',
  input,
  triggers: [
    trigger({
      type: 'trial.requested',
      schema: input,
      orderingKey: (data) => data.email,
    }),
  ],
})
  .task(
    'createAccount',
    { retry: { maxAttempts: 3, baseDelayMs: 100 }, priority: 'HIGH' },
    {
      run: async (ctx) => {
        pushBounded(trialJournal, `createAccount ${ctx.input.email}`);
        return { accountId: `acct_${ctx.runId.slice(-8)}` };
      },
      compensate: async (ctx) => {
        pushBounded(trialJournal, `deleteAccount ${ctx.result.accountId}`);
      },
    },
  )
  .task(
    'provisionDatabase',
    { dependsOn: ['createAccount'], timeout: 10_000 },
    {
      run: async (ctx) => {
        failIf('provisionDatabase', ctx.input.failAt);
        pushBounded(trialJournal, `provisionDatabase ${ctx.deps.createAccount.accountId}`);
        return { database: `db-${ctx.deps.createAccount.accountId}` };
      },
      compensate: async (ctx) => {
        pushBounded(trialJournal, `dropDatabase ${ctx.result.database}`);
      },
    },
  )
  .task(
    'provisionStorage',
    { dependsOn: ['createAccount'], timeout: 10_000 },
    {
      run: async (ctx) => {
        failIf('provisionStorage', ctx.input.failAt);
        pushBounded(trialJournal, `provisionStorage ${ctx.deps.createAccount.accountId}`);
        return {
          bucket: `bucket-${ctx.deps.createAccount.accountId}`,
          quotaGb: ctx.input.plan === 'pro' ? 100 : 5,
        };
      },
      compensate: async (ctx) => {
        pushBounded(trialJournal, `deleteBucket ${ctx.result.bucket}`);
      },
    },
  )
  .task(
    'sendWelcome',
    { dependsOn: ['provisionDatabase', 'provisionStorage', 'createAccount'] },
    async (ctx) => {
      failIf('sendWelcome', ctx.input.failAt);
      pushBounded(trialJournal, `sendWelcome ${ctx.input.email}`);
      return { sent: true, to: ctx.input.email, database: ctx.deps.provisionDatabase.database };
    },
  );
