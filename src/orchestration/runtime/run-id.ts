/**
 * The run id an idempotency key maps to: the same (workflow, key) always gives the same id, so a
 * duplicate trigger finds the run it already started instead of creating a second one.
 * Web Crypto, so it runs the same on Node and in Workers.
 */
export async function runIdFor(workflow: string, idempotencyKey: string): Promise<string> {
  const bytes = new TextEncoder().encode(`${workflow}\u0000${idempotencyKey}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const b of digest.subarray(0, 16)) hex += b.toString(16).padStart(2, '0');
  return `run_${hex}`;
}
