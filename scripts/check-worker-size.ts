/**
 * Checks the Worker bundle built by `wrangler deploy --dry-run --outdir dist`: prints its size raw
 * and gzipped, and fails when it is over the limit (3 MiB gzipped, Workers' free-plan cap) or when
 * Node-only code reached it (ioredis, a static `node:` import).
 *
 *   tsx scripts/check-worker-size.ts [dist/worker.js] [--max-gzip-bytes N]
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const flag = args.indexOf('--max-gzip-bytes');
const maxGzip = flag >= 0 ? Number(args[flag + 1]) : 3 * MiB;
const file = args.find((a, i) => !a.startsWith('--') && i !== flag + 1) ?? 'dist/worker.js';

const source = readFileSync(file);
const gzipped = gzipSync(source, { level: 9 }).length;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`${file}: ${kib(source.length)} raw, ${kib(gzipped)} gzip (limit ${kib(maxGzip)} gzip)`);

const text = source.toString('utf8');
const problems: string[] = [];
if (gzipped > maxGzip) problems.push(`the bundle is ${kib(gzipped - maxGzip)} over the gzip limit`);
if (/\bioredis\b/.test(text)) problems.push('ioredis reached the bundle (import narrower src/ entries)');
const nodeImports = [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](node:[\w/]+)["']/g)];
if (nodeImports.length > 0) {
  problems.push(
    `Node built-ins reached the bundle: ${[...new Set(nodeImports.map((m) => m[1]))].join(', ')}`,
  );
}
for (const problem of problems) console.error(`✗ ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
