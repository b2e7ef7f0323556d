import { z } from 'zod';
import { defineTask, defineWorkflow, trigger } from '../../src/index.js';

/** Two tasks, started by `test.greet.requested`. */
export const greet = defineWorkflow({
  name: 'greet',
  input: z.object({ name: z.string() }),
  triggers: [trigger({ type: 'test.greet.requested', schema: z.object({ name: z.string() }) })],
})
  .task('hello', async (ctx) => `hello ${ctx.input.name}`)
  .task('shout', { dependsOn: ['hello'] }, async (ctx) => ctx.deps.hello.toUpperCase());

export const echo = defineTask('echo', {}, async (ctx) => ({ echoed: ctx.input }));

export const WORKFLOWS = [greet, echo];
