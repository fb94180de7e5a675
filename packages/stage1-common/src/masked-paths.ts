/**
 * runc's default masked and read-only /proc and /sys paths (`runc spec`,
 * containerd's and CRI-O's defaults), the same under every isolating stage1.
 * `--insecure-options=paths` turns them off.
 */

/** Hidden from apps: a file gets /dev/null bound over it, a directory an empty read-only tmpfs. */
export const MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
]);

/** Visible but read-only inside apps. */
export const READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
]);

export const masksPaths = (insecureOptions: readonly string[]) => !insecureOptions.includes('paths');
