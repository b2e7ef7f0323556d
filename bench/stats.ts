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

/** Total commands Redis has executed (server-wide, from INFO commandstats). */
async function redisCommandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

export interface Measured<T> {
  result: T;
  seconds: number;
  /** Redis commands run meanwhile (server-wide, inside scripts included; the measuring INFO calls excluded). */
  commands: number;
  /** CPU microseconds of this process (every thread: JS, GC, I/O) and of the Redis server. */
  nodeUs: number;
  redisUs: number;
}

/**
 * Runs `work` and measures its wall time, the Redis commands it caused and the CPU both sides
 * spent: on a machine whose cores are all busy, the CPU explains the throughput.
 */
export async function measure<T>(redis: Redis, work: () => Promise<T>): Promise<Measured<T>> {
  const commands0 = await redisCommandCount(redis);
  const redis0 = await redisCpuSeconds(redis);
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  const node = process.cpuUsage(node0);
  const redisUs = ((await redisCpuSeconds(redis)) - redis0) * 1e6;
  // The three INFO calls between the two counts are ours.
  const commands = (await redisCommandCount(redis)) - commands0 - 3;
  return { result, seconds, commands, nodeUs: node.user + node.system, redisUs };
}

export { deleteKeys } from '../tools/shared/redis-keys.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
