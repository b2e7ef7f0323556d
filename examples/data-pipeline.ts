/**
 * Data pipeline: fan-out 1 -> N -> fan-in. `split` cuts the input into shards, N `transform`
 * tasks process one shard each in parallel, `merge` waits for all of them.
 *
 *               ┌─▶ transform-0 ─┐
 *   split ──────┼─▶ transform-1 ─┼──▶ merge
 *               └─▶ transform-N ─┘
 */
import { z } from 'zod';
import { type DynamicWorkflow, defineWorkflow } from '../src/index.js';

export const PIPELINE_SHARDS = 4;

const input = z.object({ numbers: z.array(z.number()).min(1) });

function shardOf(numbers: number[], shard: number): number[] {
  return numbers.filter((_, i) => i % PIPELINE_SHARDS === shard);
}

// The shard tasks are generated, so the workflow is typed as a dynamic one.
let pipeline: DynamicWorkflow<z.output<typeof input>> = defineWorkflow({
  name: 'data-pipeline',
  input,
  triggers: [{ type: 'pipeline.requested' }],
}).task('split', async (ctx) => ({ shards: PIPELINE_SHARDS, size: ctx.input.numbers.length })) as never;

const transforms: string[] = [];
for (let shard = 0; shard < PIPELINE_SHARDS; shard++) {
  const name = `transform-${shard}`;
  transforms.push(name);
  pipeline = pipeline.task(name, { dependsOn: ['split'] }, async (ctx) => {
    const values = shardOf(ctx.input.numbers, shard).map((n) => n * n);
    return { shard, sumOfSquares: values.reduce((a, b) => a + b, 0), count: values.length };
  });
}

export const dataPipeline = pipeline.task('merge', { dependsOn: transforms }, async (ctx) => {
  const parts = Object.values(ctx.deps) as { sumOfSquares: number; count: number }[];
  return {
    sumOfSquares: parts.reduce((a, p) => a + p.sumOfSquares, 0),
    count: parts.reduce((a, p) => a + p.count, 0),
  };
});
