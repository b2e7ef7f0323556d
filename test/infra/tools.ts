/**
 * Runs the command-line tools the infra tests check files with. A missing tool is a failure that
 * names the package to install, never a silent skip: CI must install them (see docs/deployment.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);

interface ToolSpec {
  /** Executable name on PATH, or under node_modules/.bin for npm tools. */
  command: string;
  /** What to install when it is missing. */
  install: string;
}

export const TOOLS = {
  promtool: {
    command: 'promtool',
    install: 'the Debian package "prometheus" (apt-get install -y --no-install-recommends prometheus)',
  },
  prometheus: {
    command: 'prometheus',
    install: 'the Debian package "prometheus" (apt-get install -y --no-install-recommends prometheus)',
  },
  yamllint: {
    command: 'yamllint',
    install: 'the Debian package "yamllint" (apt-get install -y --no-install-recommends yamllint)',
  },
  dockerCompose: {
    command: 'docker-compose',
    install:
      'the Debian package "docker-compose" (apt-get install -y --no-install-recommends docker-compose)',
  },
  kubectl: {
    command: 'kubectl',
    install:
      'kubectl with built-in kustomize v5 (not in Debian 12: the "kubectl" package from the Kubernetes ' +
      'apt repository pkgs.k8s.io, or from google-cloud-cli)',
  },
  dockerfileUtils: {
    command: 'dockerfile-utils',
    install:
      'the npm package "dockerfile-utils" as a devDependency (npm install --save-dev dockerfile-utils)',
  },
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

const resolved = new Map<ToolName, string | undefined>();

function locate(spec: ToolSpec): string | undefined {
  const local = repoPath('node_modules', '.bin', spec.command);
  if (existsSync(local)) return local;
  const found = spawnSync('sh', ['-c', `command -v ${spec.command}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

/** The tool's path, or an Error that says what to install. */
export function requireTool(name: ToolName): string {
  if (!resolved.has(name)) resolved.set(name, locate(TOOLS[name]));
  const path = resolved.get(name);
  if (path === undefined) {
    const spec = TOOLS[name];
    throw new Error(
      `\`${spec.command}\` is not installed (not on PATH nor in node_modules/.bin). Install ${spec.install}.`,
    );
  }
  return path;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

export function run(
  name: ToolName,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): RunResult {
  const result = spawnSync(requireTool(name), args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  return { status: result.status, stdout, stderr, output: `${stdout}${stderr}`.trim() };
}
