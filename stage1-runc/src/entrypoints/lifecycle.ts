import { PodstageError, type AppOptions, type StopOptions } from '@podstage/contract';
import { unmountAppRootfs } from '@podstage/stage1-common';
import { appRunning, loadPod, startApp, stopApp, stopPod } from '../pod.js';
import { containerId, remove } from '../runtime.js';

export async function stop(o: StopOptions): Promise<void> {
  await stopPod(loadPod(o.uuid, o.podDir), o.force);
}

/** The app is already in the pod manifest (stage0 added it); nothing to prepare before app-start. */
export async function appAdd(_o: AppOptions): Promise<void> {}

export async function appStart(o: AppOptions): Promise<void> {
  const p = loadPod(o.uuid, o.podDir);
  if (appRunning(p, o.app)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} is already running`);
  await startApp(p, o.app);
}

export async function appStop(o: AppOptions): Promise<void> {
  await stopApp(loadPod(o.uuid, o.podDir), o.app, o.force);
}

export async function appRm(o: AppOptions): Promise<void> {
  const p = loadPod(o.uuid, o.podDir);
  if (appRunning(p, o.app)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} is running: stop it first`);
  remove(p.runtime, containerId(o.uuid, o.app));
  unmountAppRootfs(o.podDir, o.app);
}
