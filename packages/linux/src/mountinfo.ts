/** The mount points of a process's mount namespace (this one's by default), from its mountinfo: relative to its root. */
import { readFileSync, realpathSync } from 'node:fs';

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function mountPoints(pid: number | 'self' = 'self'): string[] {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4] ?? ''));
}

/** Something is mounted exactly at `path` (as process `pid` sees it). */
export const isMountPoint = (path: string, pid: number | 'self' = 'self'): boolean => mountPoints(pid).includes(path);

export type MountPropagation = 'shared' | 'slave' | 'private';

/**
 * The propagation of the mount that holds `path` (its deepest mount point, after
 * symlinks): shared when it has a peer group, slave when it has a master.
 */
export function mountPropagationOf(path: string): MountPropagation {
  const real = realpathSync(path);
  let best: { point: string; fields: string[] } | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)) {
    const f = line.split(' ');
    const point = unescape(f[4] ?? '');
    const within = point === '/' || real === point || real.startsWith(`${point}/`);
    // The last of equal mount points is the one on top.
    if (within && (best === undefined || point.length >= best.point.length)) best = { point, fields: f.slice(6, f.indexOf('-')) };
  }
  const optional = best?.fields ?? [];
  if (optional.some((o) => o.startsWith('shared:'))) return 'shared';
  return optional.some((o) => o.startsWith('master:')) ? 'slave' : 'private';
}
