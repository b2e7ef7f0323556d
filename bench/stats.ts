/** Small helpers for the benchmark: percentiles, formatting, Redis command counts. */
import type { Redis } from 'ioredis';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summary(values: number[]): { n: number; p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

export const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** CPU seconds Redis has used (server-wide, user + system, from INFO cpu). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}

/**
 * Measures CPU spent between start and stop: this process (every thread: JS, GC, I/O) and the Redis
 * server. On a machine whose cores are all busy, these explain the throughput figures.
 */
export async function startCpuMeter(
  redis: Redis,
): Promise<() => Promise<{ nodeUs: number; redisUs: number }>> {
  const node0 = process.cpuUsage();
  const redis0 = await redisCpuSeconds(redis);
  return async () => {
    const node = process.cpuUsage(node0);
    return { nodeUs: node.user + node.system, redisUs: ((await redisCpuSeconds(redis)) - redis0) * 1e6 };
  };
}

/** The INFO calls a measured run makes between its two command counts (commandstats, cpu, cpu). */
export const MEASUREMENT_COMMANDS = 3;

/** Total commands Redis has executed (server-wide, from INFO commandstats). */
export async function redisCommandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

export { deleteKeys } from '../tools/shared/redis-keys.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
