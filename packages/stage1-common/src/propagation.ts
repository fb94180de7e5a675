/** Host volumes with rslave or rshared propagation: refused by a stage1 that cannot carry it. */
import { PodstageError, type PodManifest } from '@podstage/contract';

export function refuseMountPropagation(m: PodManifest, stage1: string, why: string): void {
  const shared = (m.volumes ?? []).find((v) => v.propagation !== undefined && v.propagation !== 'private');
  if (shared !== undefined) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${stage1}: volume ${shared.name}: ${shared.propagation} propagation: ${why}`, { hint: 'run the pod under stage1 runc' });
  }
}
