/**
 * The few Workers runtime types the entry uses, written out so the project needs no
 * `@cloudflare/workers-types` (their global declarations would clash with the Node ones).
 */

/** The third argument of `fetch` and `scheduled`. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/** What a Cron Trigger passes to `scheduled`. */
export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
  noRetry(): void;
}

/** A module Worker: `export default { fetch, scheduled }`. */
export interface WorkerHandlers<Env> {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
  scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void>;
}
