/**
 * A wake-up flag a loop can sleep on. `fire()` before `wait()` is not lost: the loop calls
 * `reset()` before reading its state, and any later `fire()` makes the next `wait()` return at once.
 */
export class Signal {
  private fired = false;
  private wake: (() => void) | undefined;

  fire(): void {
    this.fired = true;
    this.wake?.();
    this.wake = undefined;
  }

  reset(): void {
    this.fired = false;
  }

  wait(): Promise<void> {
    if (this.fired) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

/** A timer that can be cancelled, so a race against it leaves nothing pending. */
export function sleep(ms: number): { done: Promise<void>; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}
