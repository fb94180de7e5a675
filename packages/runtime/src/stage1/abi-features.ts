/**
 * What an app asks of its stage1 beyond ABI 1, checked by stage0 before a pod
 * or an app is written: a stage1 of an older ABI would ignore it silently.
 */
import {
  appDevices, appStdio, DEVICES_ANNOTATION, HOST_NAMESPACES_ANNOTATION, hostNamespaces, isInteractive, PodstageError, PID_NAMESPACE_OF_ANNOTATION, pidNamespaceOf, podSysctls, SYSCTLS_ANNOTATION, type PodManifest, type RuntimeApp, type Stage1Manifest,
} from '@podstage/contract';

/** The first ABI whose stage1s give an app a stdin and a terminal to attach to, know the host's namespaces and set sysctls. */
export const ATTACH_ABI = 6;
const POD_NAMESPACES_ABI = 6;

function tooOld(annotation: string, what: string, stage1: Stage1Manifest): PodstageError {
  return new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `annotation ${annotation}: stage1 ${stage1.name} (ABI ${stage1.abiVersion}) ${what} (ABI ${POD_NAMESPACES_ABI})`, {
    hint: 'run the pod under stage1 runc',
  });
}

export function checkPodForStage1(m: Pick<PodManifest, 'annotations' | 'volumes'>, stage1: Stage1Manifest): void {
  if (stage1.abiVersion >= POD_NAMESPACES_ABI) return;
  const propagating = (m.volumes ?? []).find((v) => v.propagation !== undefined && v.propagation !== 'private');
  if (propagating !== undefined) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `volume ${propagating.name}: stage1 ${stage1.name} (ABI ${stage1.abiVersion}) does not know mount propagation (ABI ${POD_NAMESPACES_ABI})`, { hint: 'run the pod under stage1 runc' });
  }
  const host = hostNamespaces(m.annotations);
  if (host.pid || host.ipc) throw tooOld(HOST_NAMESPACES_ANNOTATION, 'does not know the host\'s namespaces', stage1);
  if (Object.keys(podSysctls(m.annotations)).length > 0) throw tooOld(SYSCTLS_ANNOTATION, 'does not set sysctls', stage1);
}

export function checkAppsForStage1(apps: readonly Pick<RuntimeApp, 'name' | 'annotations'>[], stage1: Stage1Manifest): void {
  for (const app of apps) {
    const stdio = appStdio(app.annotations, app.name);
    if (appDevices(app.annotations, app.name).length > 0 && stage1.abiVersion < POD_NAMESPACES_ABI) {
      throw tooOld(DEVICES_ANNOTATION, 'gives an app no host devices', stage1);
    }
    if (pidNamespaceOf(app.annotations) !== undefined && stage1.abiVersion < POD_NAMESPACES_ABI) {
      throw tooOld(PID_NAMESPACE_OF_ANNOTATION, 'cannot start an app in another\'s pid namespace', stage1);
    }
    if (isInteractive(stdio) && stage1.abiVersion < ATTACH_ABI) {
      throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `app ${app.name}: stage1 ${stage1.name} (ABI ${stage1.abiVersion}) cannot give an app ${stdio.tty ? 'a terminal' : 'a stdin'} to attach to (ABI ${ATTACH_ABI})`, {
        hint: 'run the app without a terminal and stdin, or under a stage1 that has them',
      });
    }
  }
}
