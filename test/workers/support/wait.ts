type Falsy = false | 0 | '' | null | undefined;

/** Polls until `check` returns a truthy value and returns it; fails after `timeoutMs` (a bound, not a timing assertion). */
export async function waitFor<T>(
  check: () => T | Falsy | Promise<T | Falsy>,
  what = 'condition',
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
