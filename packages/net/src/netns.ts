/**
 * The pod's network namespace as a file the runtime owns (as containerd's
 * `/var/run/netns/cni-…`): a bind mount of the namespace, made by util-linux
 * unshare, so it outlives every process and CNI can configure it before the
 * pod starts. /run is a tmpfs: none survives a reboot.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract';
import { isMountPoint, MNT_DETACH, umount } from '@podstage/linux';

export const NETNS_DIR = '/run/podstage/netns';
export const netnsPath = (uuid: string) => join(NETNS_DIR, uuid);

export function createNetns(uuid: string): string {
  const path = netnsPath(uuid);
  mkdirSync(NETNS_DIR, { recursive: true });
  if (isMountPoint(path)) return path;
  writeFileSync(path, '');
  const r = spawnSync('/usr/bin/unshare', [`--net=${path}`, '/bin/true'], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(path, { force: true });
    throw new PodstageError('ERR_PODSTAGE_NETWORK', `cannot create the pod's network namespace ${path}: ${(r.stderr ?? '').trim() || String(r.error ?? r.status)}`);
  }
  return path;
}

/** Unmount and remove; nothing to do when it is gone already. */
export function removeNetns(uuid: string): void {
  const path = netnsPath(uuid);
  if (isMountPoint(path)) umount(path, MNT_DETACH);
  rmSync(path, { force: true });
}
