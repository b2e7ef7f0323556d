/**
 * The Node container and the compose file: dockerfile-utils lints the Dockerfile, the Dockerfile has
 * the shape the deployment guide promises, and docker-compose (v1, no engine needed) accepts the
 * compose file and resolves it to the services, settings and health checks we expect.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoPath, run } from './tools.js';

const DOCKERFILE = 'infra/docker/Dockerfile';
const COMPOSE = 'infra/docker/docker-compose.yml';
const dockerfile = readFileSync(repoPath(DOCKERFILE), 'utf8');

/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const lastStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));

interface Mount {
  source: string;
  target: string;
}
/** Volumes in short (`src:target[:mode]`, docker-compose v1) or long (compose v2) syntax. */
const mounts = (volumes: Array<string | Mount>): Mount[] =>
  volumes.map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });

const composeEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
};

describe('Dockerfile', () => {
  it('passes dockerfile-utils lint', () => {
    const result = run('dockerfileUtils', ['lint', DOCKERFILE]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toBe('');
  });

  it('builds in stages from Node 20, with npm ci and the Lua build', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20[-.\w]*/);
    expect(instructions).toContain('RUN npm ci --no-audit --no-fund');
    expect(instructions).toContain('RUN npm run build:lua');
    expect(instructions.some((line) => line.includes('npm ci --omit=dev'))).toBe(true);
  });

  it('runs as a numeric non-root user', () => {
    const user = lastStage.find((line) => line.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*(:\d+)?$/);
  });

  it('checks GET /health on $PORT in exec form, and starts functions/node.ts with tsx', () => {
    const healthcheck = lastStage.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toMatch(/ CMD \["node", "-e", ".*process\.env\.PORT \|\| 8787.*\/health.*"\]$/);
    expect(lastStage).toContain('CMD ["tsx", "functions/node.ts"]');
    expect(lastStage.some((line) => /^RUN npm install --global .*"tsx@\$\{TSX_VERSION\}"/.test(line))).toBe(
      true,
    );
    expect(lastStage).toContain('EXPOSE 8787');
  });

  it('pins the tsx the lockfile pins', () => {
    const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8'));
    expect(dockerfile).toContain(`ARG TSX_VERSION=${lock.packages['node_modules/tsx'].version}`);
  });
});

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q', () => {
    const result = run('dockerCompose', ['-f', COMPOSE, 'config', '-q'], {
      env: composeEnv({ WAOOAW_TOKEN: 'test-token' }),
    });
    expect(result.status, result.output).toBe(0);
  });

  it('refuses to start without WAOOAW_TOKEN', () => {
    const result = run('dockerCompose', ['-f', COMPOSE, 'config', '-q'], {
      env: composeEnv({ WAOOAW_TOKEN: undefined }),
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('WAOOAW_TOKEN');
  });

  it('resolves to waooaw on Redis, with health checks, and Prometheus behind a profile', () => {
    const result = run('dockerCompose', ['-f', COMPOSE, '--profile', 'monitoring', 'config'], {
      env: composeEnv({ WAOOAW_TOKEN: 'test-token', OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    });
    expect(result.status, result.output).toBe(0);
    const config = parse(result.stdout);
    const waooaw = config.services.waooaw;
    expect(waooaw.environment).toMatchObject({
      PORT: '8787',
      REDIS_URL: 'redis://redis:6379',
      WORKER_POOL_SIZE: '10',
      TASK_QUEUE_MAX_SIZE: '1000',
      WAOOAW_TOKEN: 'test-token',
    });
    expect(waooaw.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(waooaw.healthcheck.test.join(' ')).toContain('/health');
    expect(waooaw.build.dockerfile).toBe('infra/docker/Dockerfile');
    expect(existsSync(waooaw.build.context)).toBe(true);

    const redis = config.services.redis;
    expect(redis.image).toBe('redis:7-alpine');
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(mounts(redis.volumes)).toContainEqual({ source: 'redis-data', target: '/data' });
    expect(Object.keys(config.volumes)).toContain('redis-data');

    const prometheus = config.services.prometheus;
    expect(prometheus.profiles).toEqual(['monitoring']);
    const files = mounts(prometheus.volumes).filter((m) => m.source.startsWith('/'));
    expect(files.map((m) => m.target).sort()).toEqual([
      '/etc/prometheus/alerts.yml',
      '/etc/prometheus/prometheus.yml',
    ]);
    for (const file of files) expect(existsSync(file.source), file.source).toBe(true);

    // Grafana gets the datasource and the dashboard by provisioning; Jaeger takes OTLP/HTTP.
    const grafana = config.services.grafana;
    expect(grafana.profiles).toEqual(['monitoring']);
    const grafanaMounts = mounts(grafana.volumes);
    expect(grafanaMounts.map((m) => m.target).sort()).toEqual([
      '/etc/grafana/provisioning',
      '/var/lib/grafana/dashboards/waooaw-dashboard.json',
    ]);
    for (const m of grafanaMounts) expect(existsSync(m.source), m.source).toBe(true);
    const datasource = parse(
      readFileSync(
        `${grafanaMounts.find((m) => m.target === '/etc/grafana/provisioning')!.source}/datasources/prometheus.yml`,
        'utf8',
      ),
    );
    expect(datasource.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const jaeger = config.services.jaeger;
    expect(jaeger.environment).toMatchObject({ COLLECTOR_OTLP_ENABLED: 'true' });
    expect(JSON.stringify(jaeger.ports)).toContain('4318');
  });
});
