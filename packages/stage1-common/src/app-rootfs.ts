/**
 * An app's root assembled on the host (stage1s whose isolator takes a
 * directory: runc, kvm): overlay(image tree, the app's upper) at
 * apps/<app>/rootfs in the host's mount namespace. gc unmounts it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pod } from '@podstage/contract';
import { isMountPoint, MNT_DETACH, mount, umount } from '@podstage/linux';

export { isMountPoint };

/** Lazily unmount everything stacked at `path` (and under it). */
export function unmountAll(path: string): void {
  while (isMountPoint(path)) umount(path, MNT_DETACH);
}

export function mountAppRootfs(podDir: string, app: string): void {
  const rootfs = pod.appRootfs(podDir, app);
  if (isMountPoint(rootfs)) return;
  const lower = join(podDir, 'apps', app, 'lower');
  mount('overlay', rootfs, 'overlay', 0, `lowerdir=${lower},upperdir=${pod.appUpper(podDir, app)},workdir=${pod.appWork(podDir, app)}`);
}

export function unmountAppRootfs(podDir: string, app: string): void {
  unmountAll(pod.appRootfs(podDir, app));
}

/** gc: every app overlay a pod left mounted on the host. */
export function unmountAllAppRootfs(podDir: string): void {
  let apps: string[] = [];
  try {
    apps = readdirSync(pod.appsDir(podDir));
  } catch {
    // no apps laid out
  }
  for (const app of apps) unmountAppRootfs(podDir, app);
}
