/**
 * Writes waooaw-dashboard.json from dashboard.ts, formatted the way Biome wants it:
 *   npx tsx infra/monitoring/grafana/build.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dashboardJson } from './dashboard.js';

const target = fileURLToPath(new URL('./waooaw-dashboard.json', import.meta.url));
writeFileSync(target, dashboardJson());
execFileSync('npx', ['biome', 'format', '--write', target], { stdio: 'inherit' });
console.log(`wrote ${target}`);
