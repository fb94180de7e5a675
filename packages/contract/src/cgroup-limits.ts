/**
 * An app's resource isolators as cgroup v1 files (the ABI's app cgroup,
 * podstage/<uuid>/apps/<app>): what stage1s write when they create it, and
 * what stage0 writes when a running app's limits change.
 */
import { cpuLimitMillis, cpuRequestMillis, memoryLimitBytes, type EffectiveIsolators } from './manifest/isolators.js';

export const CPU_PERIOD_US = 100_000;

export interface CgroupLimits {
  memoryBytes?: number;
  cpuQuotaUs?: number;
  cpuShares?: number;
}

/** A CPU limit in millicores as a CFS quota per CPU_PERIOD_US (at least 1 ms). */
export const cpuQuotaUs = (millis: number): number => Math.max(1000, Math.round((millis * CPU_PERIOD_US) / 1000));

/** The cgroup limits an app's isolators become (pure). */
export function cgroupLimits(iso: EffectiveIsolators): CgroupLimits {
  const out: CgroupLimits = {};
  const mem = memoryLimitBytes(iso);
  if (mem !== undefined) out.memoryBytes = mem;
  const limit = cpuLimitMillis(iso);
  if (limit !== undefined) out.cpuQuotaUs = cpuQuotaUs(limit);
  const request = cpuRequestMillis(iso);
  if (request !== undefined) out.cpuShares = Math.max(2, Math.round((request * 1024) / 1000));
  return out;
}

/** The files and values, in the order they must be written (the period before the quota). */
export function cgroupLimitFiles(limits: CgroupLimits): { controller: 'memory' | 'cpu'; file: string; value: number }[] {
  return [
    ...(limits.memoryBytes === undefined ? [] : [{ controller: 'memory' as const, file: 'memory.limit_in_bytes', value: limits.memoryBytes }]),
    ...(limits.cpuQuotaUs === undefined ? [] : [
      { controller: 'cpu' as const, file: 'cpu.cfs_period_us', value: CPU_PERIOD_US },
      { controller: 'cpu' as const, file: 'cpu.cfs_quota_us', value: limits.cpuQuotaUs },
    ]),
    ...(limits.cpuShares === undefined ? [] : [{ controller: 'cpu' as const, file: 'cpu.shares', value: limits.cpuShares }]),
  ];
}
