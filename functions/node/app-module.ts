import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyWorkflow, HandlerSubscription } from '../../src/index.js';

/** What an app module (`WAOOAW_APP`) exports. */
export interface AppModule {
  workflows: AnyWorkflow[];
  consumers?: HandlerSubscription[];
}

/** Loads the user's app module, or the bundled examples when none is configured. */
export async function loadAppModule(path: string | undefined): Promise<{ module: AppModule; name: string }> {
  const url = path
    ? pathToFileURL(resolve(process.cwd(), path)).href
    : new URL('../../examples/index.ts', import.meta.url).href;
  const loaded = (await import(url)) as Partial<AppModule> & { default?: Partial<AppModule> };
  const module = loaded.workflows ? loaded : (loaded.default ?? {});
  if (!Array.isArray(module.workflows)) {
    throw new Error(`${path ?? 'examples'}: the module must export \`workflows\` (an array of workflows)`);
  }
  return { module: module as AppModule, name: path ?? 'bundled examples' };
}
