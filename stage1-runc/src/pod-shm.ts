/**
 * The pod's /dev/shm: one tmpfs on the host that every app container binds,
 * so POSIX shared memory works across the pod's apps as in a Kubernetes pod
 * (containerd's sandbox shm). Unmounted when the pod ends, and by gc.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pod } from '@podstage/contract';
import { mount, MS_NODEV, MS_NOEXEC, MS_NOSUID } from '@podstage/linux';
import { isMountPoint, unmountAll } from '@podstage/stage1-common';

export const podShm = (podDir: string) => join(pod.stage1Dir(podDir), 'shm');

export function mountPodShm(podDir: string): string {
  const dir = podShm(podDir);
  mkdirSync(dir, { recursive: true });
  if (!isMountPoint(dir)) mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=1777,size=65536k');
  return dir;
}

export function unmountPodShm(podDir: string): void {
  unmountAll(podShm(podDir));
}
