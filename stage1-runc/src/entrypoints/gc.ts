import { readdirSync } from 'node:fs';
import { pod, type GcOptions } from '@podstage/contract';
import { removePodCgroups, unmountAppRootfs } from '@podstage/stage1-common';
import { listPodContainers, remove, RUNTIMES } from '../runtime.js';

/** Delete the runtime's containers of this pod, unmount the apps' overlays, remove the cgroups. */
export async function gc(o: GcOptions): Promise<void> {
  // A pod whose prepare died has no options: look in both runtimes.
  for (const runtime of RUNTIMES) {
    try {
      for (const id of listPodContainers(runtime, o.uuid)) remove(runtime, id);
    } catch {
      // that runtime is not installed
    }
  }
  let apps: string[] = [];
  try {
    apps = readdirSync(pod.appsDir(o.podDir));
  } catch {
    // no apps laid out
  }
  for (const app of apps) unmountAppRootfs(o.podDir, app);
  await removePodCgroups(o.uuid);
}
