/** Mutable pods: start, stop and remove apps of a running sandbox through its supervisor. */
import type { AppOptions } from '@podstage/contract';
import { control } from '@podstage/stage1-common';

export async function appStart(o: AppOptions): Promise<void> {
  await control(o.podDir, { op: 'app-start', app: o.app });
}

export async function appStop(o: AppOptions): Promise<void> {
  await control(o.podDir, { op: 'app-stop', app: o.app, force: o.force });
}

export async function appRm(o: AppOptions): Promise<void> {
  await control(o.podDir, { op: 'app-rm', app: o.app });
}

/** The app is already in the pod manifest (stage0 added it); nothing to prepare before app-start. */
export async function appAdd(_o: AppOptions): Promise<void> {}
