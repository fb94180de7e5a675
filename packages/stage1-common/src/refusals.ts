/** What a stage1 that cannot carry them refuses: host volumes with rslave or rshared propagation, host devices. */
import { appDevices, DEVICES_ANNOTATION, PodstageError, type PodManifest, type RuntimeApp } from '@podstage/contract';

export function refuseMountPropagation(m: PodManifest, stage1: string, why: string): void {
  const shared = (m.volumes ?? []).find((v) => v.propagation !== undefined && v.propagation !== 'private');
  if (shared !== undefined) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${stage1}: volume ${shared.name}: ${shared.propagation} propagation: ${why}`, { hint: 'run the pod under stage1 runc' });
  }
}

/** Host devices for an app (podstage.io/devices): refused by a stage1 that cannot give them. */
export function refuseDevices(apps: readonly Pick<RuntimeApp, 'name' | 'annotations'>[], stage1: string, why: string): void {
  for (const app of apps) {
    if (appDevices(app.annotations, app.name).length > 0) {
      throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${stage1}: app ${app.name}: annotation ${DEVICES_ANNOTATION}: ${why}`, { hint: 'run the pod under stage1 runc' });
    }
  }
}
