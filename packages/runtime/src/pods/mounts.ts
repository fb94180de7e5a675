/** Mounts a pod left in the host's mount namespace, so nothing is ever deleted through one. */
import { readFileSync } from 'node:fs';
import { MNT_DETACH, umount } from '@podstage/linux';

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

export function unmountAllUnder(dir: string): void {
  for (const m of mountsUnder(dir)) umount(m, MNT_DETACH);
}
