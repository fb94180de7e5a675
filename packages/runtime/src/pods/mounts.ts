/** Mounts a pod left in the host's mount namespace, so nothing is ever deleted through one. */
import { mountPoints, MNT_DETACH, umount } from '@podstage/linux';

export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountPoints()
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

export function unmountAllUnder(dir: string): void {
  for (const m of mountsUnder(dir)) umount(m, MNT_DETACH);
}
