import type { GcOptions } from '@podstage/contract';
import { removePodCgroups, unmountAllAppRootfs } from '@podstage/stage1-common';

/** Undo what the pod left on the host: the apps' overlays and the pod's cgroups (and anything still in them). */
export async function gc(o: GcOptions): Promise<void> {
  unmountAllAppRootfs(o.podDir);
  await removePodCgroups(o.uuid);
}
