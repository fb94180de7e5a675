/**
 * The host's TSC rate, for the guest kernel's tsc_early_khz. Under TCG the
 * guest reads the host's TSC, and microvm's guest cannot calibrate it (it
 * hangs at calibration without the parameter), so a wrong figure makes every
 * clock in the guest run fast or slow by the ratio (2.1 GHz assumed on a
 * 2.6 GHz host: 1.24× fast).
 */
import { existsSync, readFileSync } from 'node:fs';

/** What guests were told before the rate was read from the host; used when nothing better is known. */
const FALLBACK_KHZ = 2_100_000;

/**
 * From /proc/cpuinfo: `cpu MHz` is the TSC rate when the TSC is constant and no
 * cpufreq driver varies the reported clock (VMs, fixed-clock hosts); otherwise the
 * nominal clock in the model name (`@ 2.60GHz`), which is the TSC rate on Intel.
 */
export function tscKhzFromCpuinfo(cpuinfo: string, hasCpufreq: boolean): number | undefined {
  const first = cpuinfo.split(/\n\n/)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const constant = (field('flags') ?? '').split(/\s+/).includes('constant_tsc');
  const mhz = Number(field('cpu MHz'));
  if (constant && !hasCpufreq && mhz > 0) return Math.round(mhz * 1000);
  const nominal = /@\s*([\d.]+)\s*GHz/i.exec(field('model name') ?? '');
  return nominal ? Math.round(Number(nominal[1]) * 1_000_000) : undefined;
}

export function hostTscKhz(): number {
  try {
    return tscKhzFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'), existsSync('/sys/devices/system/cpu/cpu0/cpufreq')) ?? FALLBACK_KHZ;
  } catch {
    return FALLBACK_KHZ;
  }
}
