import { readdirSync } from 'node:fs';
import { pod, type GcOptions } from '@podstage/contract';
import { removePodCgroups } from '@podstage/stage1-common';
import { unmountAppRootfs } from '../pod-process.js';
import { listPodContainers, remove } from '../runtime.js';

/** Delete the runtime's containers of this pod, unmount the apps' overlays, remove the cgroups. */
export async function gc(o: GcOptions): Promise<void> {
  for (const id of listPodContainers('runc', o.uuid)) remove('runc', id);
  let apps: string[] = [];
  try {
    apps = readdirSync(pod.appsDir(o.podDir));
  } catch {
    // no apps laid out
  }
  for (const app of apps) unmountAppRootfs(o.podDir, app);
  await removePodCgroups(o.uuid);
}
