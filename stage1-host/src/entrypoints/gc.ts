import { removePodCgroups } from '@podstage/stage1-common';
import type { GcOptions } from '@podstage/contract';

/** Mounts lived in nspawn's namespaces and died with it; the pod's cgroups are what remains. */
export async function gc(o: GcOptions): Promise<void> {
  await removePodCgroups(o.podDir);
}
