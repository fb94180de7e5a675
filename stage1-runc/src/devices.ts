/** The host devices an app asks for (podstage.io/devices), as runc makes them: each node's type, numbers, mode and owner. */
import { statSync } from 'node:fs';
import { appDevices, DEVICES_ANNOTATION, PodstageError, type RuntimeApp } from '@podstage/contract';
import type { OciDevice } from './translate.js';

export function hostDevices(app: Pick<RuntimeApp, 'name' | 'annotations'>): { node: OciDevice; access: string }[] {
  return appDevices(app.annotations, app.name).map((d) => {
    let st;
    try {
      st = statSync(d.hostPath);
    } catch (e) {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `app ${app.name}: annotation ${DEVICES_ANNOTATION}: ${d.hostPath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!st.isCharacterDevice() && !st.isBlockDevice()) {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `app ${app.name}: annotation ${DEVICES_ANNOTATION}: ${d.hostPath} is not a device`);
    }
    // Linux's dev_t: the major in bits 8-19, the minor in bits 0-7 and 20-31.
    const major = (st.rdev >>> 8) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00);
    const node: OciDevice = { path: d.path, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    return { node, access: d.permissions };
  });
}
