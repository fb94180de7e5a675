/** The mount points of this process's mount namespace, from /proc/self/mountinfo. */
import { readFileSync } from 'node:fs';

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4] ?? ''));
}

/** Something is mounted exactly at `path`. */
export const isMountPoint = (path: string): boolean => mountPoints().includes(path);
