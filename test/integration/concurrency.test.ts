import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEvent, defineWorkflow, trigger } from '../../src/index.js';
import { EventRecorder } from '../support/event-recorder.js';
import { newPrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { type AppHandle, BACKENDS, startApp } from './backends.js';

/** Tracks how many attempts of each group run at once. */
class Overlap {
  private readonly running = new Map<string, number>();
  readonly peak = new Map<string, number>();
  async hold(group: string, ms: number): Promise<void> {
    const now = (this.running.get(group) ?? 0) + 1;
    this.running.set(group, now);
    this.peak.set(group, Math.max(this.peak.get(group) ?? 0, now));
    await new Promise((r) => setTimeout(r, ms));
    this.running.set(group, (this.running.get(group) ?? 1) - 1);
  }
}

const overlap = new Overlap();
const input = z.object({ tenant: z.string(), n: z.number() });

const limited = defineWorkflow({
  name: 'limited',
  input,
  triggers: [trigger({ type: 'test.limited', schema: input })],
})
  .task('shared', { concurrency: { limit: 2 } }, async () => overlap.hold('shared', 30))
  .task(
    'perTenant',
    { dependsOn: ['shared'], concurrency: { limit: 1, key: (ctx) => ctx.input.tenant } },
    async (ctx) => overlap.hold(`tenant:${ctx.input.tenant}`, 30),
  );

/** Its key reads a field some inputs lack: the key function throws for those. */
const fragileKey = defineWorkflow({ name: 'fragileKey', triggers: [{ type: 'test.fragileKey' }] })
  .task('first', async () => 1)
  .task(
    'keyed',
    {
      dependsOn: ['first'],
      concurrency: { limit: 1, key: (ctx) => (ctx.input as { tenant: { id: string } }).tenant.id },
    },
    async (ctx) => overlap.hold('fragile', 30).then(() => ctx.deps.first + 1),
  );

describe.each(BACKENDS)('concurrency limits on $name', (backend) => {
  let handle: AppHandle | undefined;
  let ns = '';

  afterEach(async () => {
    await handle?.stop();
    await backend.cleanup(ns);
  });

  it('never runs more attempts of a task than its limit, per key when it has one', async () => {
    ns = newPrefix();
    overlap.peak.clear();
    const recorder = new EventRecorder();
    handle = await startApp(backend, ns, [limited], [recorder.consumer('orchestration.workflow.*')]);
    const events = Array.from({ length: 8 }, (_, n) =>
      createEvent({
        type: 'test.limited',
        source: '/test',
        data: { tenant: n % 2 === 0 ? 'acme' : 'globex', n },
      }),
    );
    await handle.app.publish(events);
    await waitFor(() => recorder.events.length === 8, 'eight runs', 20_000);
    expect(recorder.events.every((e) => (e.data as { status: string }).status === 'completed')).toBe(true);
    // With 10 slots and 8 runs, only the limits kept these down.
    expect(overlap.peak.get('shared')).toBe(2);
    expect(overlap.peak.get('tenant:acme')).toBe(1);
    expect(overlap.peak.get('tenant:globex')).toBe(1);
  });

  it('runs a task whose concurrency key throws under its task-wide limit, and the run ends', async () => {
    ns = newPrefix();
    overlap.peak.clear();
    const recorder = new EventRecorder();
    handle = await startApp(backend, ns, [fragileKey], [recorder.consumer('orchestration.workflow.*')]);
    await handle.app.publish(
      Array.from({ length: 3 }, () => createEvent({ type: 'test.fragileKey', source: '/test', data: {} })),
    );
    await waitFor(() => recorder.events.length === 3, 'three runs', 10_000);
    expect(recorder.events.map((e) => (e.data as { status: string }).status)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    // Every such attempt shares one limit instead.
    expect(overlap.peak.get('fragile')).toBe(1);
  });
});
