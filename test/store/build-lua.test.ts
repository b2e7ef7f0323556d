import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildLua,
  compileLibrary,
  compileScripts,
  countKeys,
  modelInclude,
} from '../../scripts/build-lua.js';
import { TASK_STATES, TASK_TRANSITIONS } from '../../src/store/model.js';

const SOURCE = join(import.meta.dirname, '..', '..', 'src', 'store', 'lua');
const temp: string[] = [];
afterAll(async () => Promise.all(temp.map((d) => rm(d, { recursive: true, force: true }))));

describe('build-lua', () => {
  it('compiles every command with includes resolved, a versioned name and its SHA', async () => {
    const out = await mkdtemp(join(tmpdir(), 'waooaw-lua-'));
    temp.push(out);
    const built = await buildLua(SOURCE, out);
    const byCommand = Object.fromEntries(built.map((s) => [s.command, s]));
    expect(Object.keys(byCommand)).toEqual(
      expect.arrayContaining([
        'createRun',
        'leaseAttempt',
        'completeAttempt',
        'failAttempt',
        'expireLeases',
        'cancelRun',
      ]),
    );
    for (const s of built) {
      expect(s.name).toBe(`waooaw:v1:${s.command}`);
      expect(s.lua.startsWith(`-- waooaw:v1:${s.command}\n`)).toBe(true);
      expect(s.lua).not.toMatch(/@include/);
      expect(s.sha).toBe(createHash('sha1').update(s.lua).digest('hex'));
    }
    expect(byCommand.createRun?.numberOfKeys).toBe(5);
    expect(byCommand.expireLeases?.numberOfKeys).toBe(2);
    expect(byCommand.addDlq?.numberOfKeys).toBe(5);
    expect(byCommand.completeAttempt?.lua).toContain('local TASK_TRANSITIONS');
    expect(byCommand.completeAttempt?.lua.match(/local function moveTask/g)).toHaveLength(1);

    const module = await readFile(join(out, 'completeAttempt.ts'), 'utf8');
    expect(module).toContain('export const completeAttempt: LuaScript');
    const index = await readFile(join(out, 'index.ts'), 'utf8');
    expect(index).toContain("import { createRun } from './createRun.js';");
    expect(index).toContain('export const scripts = {');
  });

  it('calls Redis through a local, in scripts and in the Functions library', async () => {
    for (const s of await compileScripts(SOURCE)) {
      expect(s.lua).toContain('\nlocal rcall = redis.call\n');
      expect(s.lua.match(/redis\.call/g)).toHaveLength(1);
      expect(s.lua).toMatch(/\brcall\('[A-Z]+'/);
    }
    const library = await compileLibrary(SOURCE, 'waooaw_store');
    const entries = Object.keys(library.functions).length;
    // Only the entry of each function names `redis.call` (it does not exist while the library loads).
    expect(library.code.match(/redis\.call/g)).toHaveLength(entries);
    expect(library.code.match(/KEYS, ARGV, rcall = keys, args, redis\.call/g)).toHaveLength(entries);
  });

  it('generates the model include from model.ts', () => {
    const lua = modelInclude();
    for (const [from, tos] of Object.entries(TASK_TRANSITIONS)) {
      for (const to of tos) expect(lua).toContain(`|${from}>${to}|`);
    }
    for (const state of TASK_STATES) expect(lua).not.toContain(`|${state}>pending|`);
    expect(lua).toContain("local TERMINAL_RUN_STATES = '|completed|failed|compensated|cancelled|'");
  });

  it('reads numberOfKeys from the header only, and names a missing include', async () => {
    expect(countKeys('-- KEYS[1] a KEYS[3] b\n-- KEYS[2]\nlocal x = KEYS[9]')).toBe(3);
    const dir = await mkdtemp(join(tmpdir(), 'waooaw-lua-src-'));
    temp.push(dir);
    await writeFile(join(dir, 'broken.lua'), '-- KEYS[1] x\n--- @include "includes/nope"\nreturn 1\n');
    await expect(compileScripts(dir)).rejects.toThrow('broken.lua: cannot include "includes/nope"');
    await writeFile(join(dir, 'broken.lua'), 'return 1\n');
    await writeFile(join(dir, 'bad-name.lua'), 'return 1\n');
    await expect(compileScripts(dir)).rejects.toThrow('camelCase');
  });
});
