import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const BUNDLE_DIR = join(ROOT, 'dist', 'workers-test');

/** Where the bundle of `entry` (a path from the repository root) is written. */
export function bundlePath(entry: string): string {
  return join(BUNDLE_DIR, basename(entry).replace(/\.ts$/, '.js'));
}

/**
 * Bundles a Worker entry exactly as a deployment does (`wrangler deploy --dry-run` with the
 * repository's wrangler.toml), so the tests run the real bundle in workerd.
 */
export async function buildWorker(entry: string): Promise<string> {
  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  await promisify(execFile)(wrangler, ['deploy', '--dry-run', '--outdir', BUNDLE_DIR, entry], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  const out = bundlePath(entry);
  if (!existsSync(out)) throw new Error(`wrangler wrote no ${out}`);
  return out;
}
