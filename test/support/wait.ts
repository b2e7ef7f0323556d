/** Waiting in tests: polling for a condition, sleeping, and gates a test opens by hand. */

type Falsy = false | 0 | '' | null | undefined;

/**
 * Polls `check` until it returns a truthy value, and returns it; throws naming `what` after
 * `timeoutMs` (a bound on a hang, never a timing assertion).
 */
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
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise opened from outside: handlers wait on it to hold a slot or a step. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
