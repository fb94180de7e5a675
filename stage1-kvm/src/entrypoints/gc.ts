import type { GcOptions } from '@podstage/contract';
import { removePodCgroups, unmountAllAppRootfs } from '@podstage/stage1-common';
import { tearDownShares } from '../guest-share.js';

/** Undo what the pod left on the host: the guest's shares, the apps' overlays and the pod's cgroups (and anything still in them, QEMU included). */
export async function gc(o: GcOptions): Promise<void> {
  tearDownShares(o.podDir);
  unmountAllAppRootfs(o.podDir);
  await removePodCgroups(o.podDir);
}
