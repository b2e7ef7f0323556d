/**
 * Compiles each folder of atomic commands (`src/store/lua`, `src/transport/redis/lua`,
 * `src/observability/lua`) into TypeScript string modules under its `generated/` folder (the Worker
 * build cannot read files at run time).
 *
 * - `--- @include "includes/<name>"` pulls a helper in (each helper once per script, recursively).
 * - `--- @include "model"` is generated here from the transition tables of `src/store/model.ts`,
 *   so the Lua scripts and the memory store enforce the same tables.
 * - `numberOfKeys` is read from the header contract: the highest `KEYS[i]` it documents.
 * - Each script starts with its versioned name (`-- waooaw:v1:<command>`), which gives every
 *   release its own SHA: two releases can share one Redis without running each other's scripts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FAILURE_MARKER,
  RUN_END_ANNOUNCES,
  RUN_END_GRACE_MS,
  RUN_END_MARKER,
  RUN_TRANSITIONS,
  TASK_TRANSITIONS,
  TERMINAL_RUN_STATES,
} from '../src/store/model.js';

export const LUA_SCRIPT_VERSION = 'v1';
const INCLUDE = /^---\s*@include\s+"([^"]+)"\s*$/;

/**
 * `redis.call(` becomes a call through the local `rcall`: inside a Function every read of the global
 * `redis` goes through the sandbox's protected globals (measured: ~0.2 µs per call, a third of a
 * simple command's cost), a local costs nothing. Sources keep the familiar spelling.
 */
const localCalls = (lua: string) => lua.replace(/\bredis\.call\(/g, 'rcall(');

export interface BuiltScript {
  command: string;
  name: string;
  lua: string;
  sha: string;
  numberOfKeys: number;
}

/**
 * The `model` include: model.ts transition tables as Lua string constants and lookups. Constants
 * live in the compiled chunk, so a call allocates nothing for them (a table would be rebuilt on
 * every EVALSHA).
 */
export function modelInclude(): string {
  const pairs = (table: Readonly<Record<string, readonly string[]>>) =>
    `|${Object.entries(table)
      .flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`))
      .join('|')}|`;
  return [
    '-- Generated from src/store/model.ts by scripts/build-lua.ts: the transition tables.',
    `local TASK_TRANSITIONS = '${pairs(TASK_TRANSITIONS)}'`,
    `local RUN_TRANSITIONS = '${pairs(RUN_TRANSITIONS)}'`,
    `local TERMINAL_RUN_STATES = '|${TERMINAL_RUN_STATES.join('|')}|'`,
    `local RUN_END_MARKER = '${RUN_END_MARKER}'`,
    `local FAILURE_MARKER = '${FAILURE_MARKER}'`,
    `local RUN_END_GRACE_MS = ${RUN_END_GRACE_MS}`,
    `local RUN_END_ANNOUNCES = ${RUN_END_ANNOUNCES}`,
    'local function canMoveTask(from, to)',
    "  return from ~= nil and string.find(TASK_TRANSITIONS, '|' .. from .. '>' .. to .. '|', 1, true) ~= nil",
    'end',
    'local function canMoveRun(from, to)',
    "  return from ~= nil and string.find(RUN_TRANSITIONS, '|' .. from .. '>' .. to .. '|', 1, true) ~= nil",
    'end',
    'local function isTerminalRun(status)',
    "  return status ~= nil and string.find(TERMINAL_RUN_STATES, '|' .. status .. '|', 1, true) ~= nil",
    'end',
    '',
  ].join('\n');
}

async function resolveIncludes(
  source: string,
  sourceDir: string,
  seen: Set<string>,
  from: string,
): Promise<string> {
  const out: string[] = [];
  for (const line of source.split('\n')) {
    const match = INCLUDE.exec(line.trim());
    if (!match) {
      out.push(line);
      continue;
    }
    const target = match[1]!;
    if (seen.has(target)) continue;
    seen.add(target);
    if (target === 'model') {
      out.push(modelInclude());
      continue;
    }
    const file = join(sourceDir, `${target}.lua`);
    const text = await readFile(file, 'utf8').catch(() => {
      throw new Error(`${from}: cannot include "${target}" (${file} not found)`);
    });
    out.push(await resolveIncludes(text, sourceDir, seen, file));
  }
  return out.join('\n');
}

/** Highest KEYS[i] named in the leading comment block (the header contract). */
export function countKeys(source: string): number {
  let max = 0;
  for (const line of source.split('\n')) {
    if (!line.startsWith('--')) break;
    for (const m of line.matchAll(/KEYS\[(\d+)\]/g)) max = Math.max(max, Number(m[1]));
  }
  return max;
}

export async function compileScripts(
  sourceDir: string,
  version = LUA_SCRIPT_VERSION,
): Promise<BuiltScript[]> {
  const files = (await readdir(sourceDir)).filter((f) => f.endsWith('.lua')).sort();
  const built: BuiltScript[] = [];
  for (const file of files) {
    const command = file.slice(0, -'.lua'.length);
    if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(command))
      throw new Error(`script name ${file} must be camelCase letters`);
    const source = await readFile(join(sourceDir, file), 'utf8');
    const name = `waooaw:${version}:${command}`;
    const body = localCalls(await resolveIncludes(source, sourceDir, new Set(), file));
    const lua = `-- ${name}\nlocal rcall = redis.call\n${body}`;
    const sha = createHash('sha1').update(lua).digest('hex');
    built.push({ command, name, lua, sha, numberOfKeys: countKeys(source) });
  }
  return built;
}

export interface BuiltLibrary {
  /** Library name, versioned by a hash of its code: two releases can share one Redis. */
  name: string;
  code: string;
  /** Function name of each command. */
  functions: Record<string, string>;
}

/**
 * The same commands as one Redis Functions library (`FUNCTION LOAD` once, then `FCALL`): the shared
 * helpers are defined once when the library loads, instead of on every EVALSHA of every script.
 * Helpers read `KEYS`/`ARGV`/`rcall` as upvalues that each function sets on entry.
 */
export async function compileLibrary(sourceDir: string, base: string): Promise<BuiltLibrary> {
  const files = (await readdir(sourceDir)).filter((f) => f.endsWith('.lua')).sort();
  const seen = new Set<string>();
  const includes: string[] = [];
  const bodies: { command: string; body: string }[] = [];
  for (const file of files) {
    const command = file.slice(0, -'.lua'.length);
    const source = await readFile(join(sourceDir, file), 'utf8');
    const body: string[] = [];
    for (const line of source.split('\n')) {
      if (INCLUDE.test(line.trim())) includes.push(await resolveIncludes(line, sourceDir, seen, file));
      else body.push(line);
    }
    bodies.push({ command, body: localCalls(body.join('\n')) });
  }
  const shared = localCalls(includes.join('\n'));
  const hash = createHash('sha1')
    .update(shared)
    .update(bodies.map((b) => b.body).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const name = `${base}_${hash}`;
  const functions = Object.fromEntries(bodies.map((b) => [b.command, `${name}_${b.command}`]));
  const registrations = bodies.map(
    (b) =>
      `redis.register_function('${functions[b.command]}', function(keys, args)\n  KEYS, ARGV, rcall = keys, args, redis.call\n${b.body}\nend)`,
  );
  // `redis.call` does not exist while a library loads: each function sets `rcall` on entry.
  const code = [`#!lua name=${name}`, 'local KEYS, ARGV, rcall', shared, ...registrations, ''].join('\n');
  return { name, code, functions };
}

export async function buildLua(
  sourceDir: string,
  outDir: string,
  libraryBase?: string,
): Promise<BuiltScript[]> {
  const scripts = await compileScripts(sourceDir);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const banner = `// Generated by scripts/build-lua.ts from ${relative(process.cwd(), sourceDir) || sourceDir}. Do not edit.\n`;
  const library = libraryBase ? await compileLibrary(sourceDir, libraryBase) : undefined;
  if (library) {
    await writeFile(
      join(outDir, 'library.ts'),
      `${banner}export const library = ${JSON.stringify({ name: library.name, code: library.code }, null, 2)};\n`,
    );
  }
  for (const s of scripts) {
    const body = { name: s.name, lua: s.lua, sha: s.sha, numberOfKeys: s.numberOfKeys };
    const fn = library?.functions[s.command];
    const head = fn
      ? `${banner}import type { LuaScript } from '../script.js';\nimport { library } from './library.js';\n\n`
      : `${banner}import type { LuaScript } from '../script.js';\n\n`;
    const value = fn
      ? `{ ...${JSON.stringify(body, null, 2)}, fn: ${JSON.stringify(fn)}, library }`
      : JSON.stringify(body, null, 2);
    await writeFile(
      join(outDir, `${s.command}.ts`),
      `${head}export const ${s.command}: LuaScript = ${value};\n`,
    );
  }
  const imports = scripts.map((s) => `import { ${s.command} } from './${s.command}.js';`).join('\n');
  const names = scripts.map((s) => s.command).join(', ');
  await writeFile(
    join(outDir, 'index.ts'),
    `${banner}import type { LuaScript } from '../script.js';\n${imports}\n\nexport { ${names} };\n\nexport const scripts = { ${names} } satisfies Record<string, LuaScript>;\n\nexport type ScriptName = keyof typeof scripts;\n`,
  );
  return scripts;
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Every folder of atomic commands: the store's state machine and the Redis transport's queue.
  for (const [library, folder] of [
    ['waooaw_store', ['src', 'store', 'lua']],
    ['waooaw_transport', ['src', 'transport', 'redis', 'lua']],
    // Once a second per process: EVALSHA is enough, no library.
    [undefined, ['src', 'observability', 'lua']],
  ] as const) {
    const sourceDir = join(here, '..', ...folder);
    const built = await buildLua(sourceDir, join(sourceDir, 'generated'), library);
    console.log(`build:lua: ${built.length} scripts -> ${folder.join('/')}/generated`);
  }
}
