/**
 * The Cloudflare Workers entry: `fetch` serves the HTTP surface, `scheduled` (a Cron Trigger) runs
 * the lease sweeper and publishes the metrics snapshot. State lives in Upstash Redis (REST) and
 * invocations travel through QStash; every binding is listed in `wrangler.toml`.
 *
 * A Worker cannot load a module named at run time (no `WAOOAW_APP`): it bundles its app module.
 * To serve your own workflows, change the import below to your module, which exports
 * `workflows` (and optionally `consumers`), as `examples/index.ts` does.
 */
import * as appModule from '../examples/index.js';
import { createWorker } from './worker/handlers.js';

export default createWorker(appModule);
