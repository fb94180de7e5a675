import { readdirSync } from 'node:fs';
import { pod, type GcOptions } from '@podstage/contract';
import { removePodCgroups, unmountAppRootfs } from '@podstage/stage1-common';

/** Undo what the pod left on the host: the apps' overlays and the pod's cgroups (and anything still in them). */
export async function gc(o: GcOptions): Promise<void> {
  let apps: string[] = [];
  try {
    apps = readdirSync(pod.appsDir(o.podDir));
  } catch {
    // nothing laid out
  }
  for (const app of apps) unmountAppRootfs(o.podDir, app);
  await removePodCgroups(o.uuid);
}
