import type { GcOptions } from '@podstage/contract';
import { removePodCgroups, unmountAllAppRootfs } from '@podstage/stage1-common';
import { unmountPodShm } from '../pod-shm.js';
import { listPodContainers, remove, RUNTIMES } from '../runtime.js';

/** Delete the runtime's containers of this pod, unmount the apps' overlays and the pod's /dev/shm, remove the cgroups. */
export async function gc(o: GcOptions): Promise<void> {
  // A pod whose prepare died has no options: look in both runtimes.
  for (const runtime of RUNTIMES) {
    try {
      for (const id of listPodContainers(runtime, o.uuid)) remove(runtime, id);
    } catch {
      // that runtime is not installed
    }
  }
  unmountAllAppRootfs(o.podDir);
  unmountPodShm(o.podDir);
  await removePodCgroups(o.podDir);
}
