/**
 * runc's default masked and read-only /proc and /sys paths (`runc spec`,
 * containerd's and CRI-O's defaults), the same under every isolating stage1.
 * `--insecure-options=paths` turns them off.
 */
import { appPathList, MASKED_PATHS_ANNOTATION, READONLY_PATHS_ANNOTATION, type RuntimeApp } from '@podstage/contract';

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

/** An app's masked and read-only paths: its annotations' lists (the CRI's), else the defaults above; none with --insecure-options=paths. */
export function appHardenedPaths(app: Pick<RuntimeApp, 'name' | 'annotations'>, insecureOptions: readonly string[]): { maskedPaths: string[]; readonlyPaths: string[] } {
  if (!masksPaths(insecureOptions)) return { maskedPaths: [], readonlyPaths: [] };
  return {
    maskedPaths: appPathList(app.annotations, MASKED_PATHS_ANNOTATION, app.name) ?? [...MASKED_PATHS],
    readonlyPaths: appPathList(app.annotations, READONLY_PATHS_ANNOTATION, app.name) ?? [...READONLY_PATHS],
  };
}
