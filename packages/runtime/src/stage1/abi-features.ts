/**
 * What a pod or an app asks of its stage1 beyond ABI 1, checked by stage0
 * before it is written: a stage1 of an older ABI would ignore it silently.
 */
import {
  appDevices, appPathList, appStdio, DEVICES_ANNOTATION, MASKED_PATHS_ANNOTATION, READONLY_PATHS_ANNOTATION, HOST_NAMESPACES_ANNOTATION, hostNamespaces, isInteractive, PID_NAMESPACE_OF_ANNOTATION, pidNamespaceOf,
  PodstageError, podSysctls, SYSCTLS_ANNOTATION, type PodManifest, type RuntimeApp, type Stage1Manifest,
} from '@podstage/contract';

/** The ABI of every feature below: attaching, the host's namespaces, sysctls, propagation, devices, another app's pid namespace. */
const FEATURES_ABI = 6;

/** An app's own masked and read-only paths. */
const PATHS_ABI = 7;

/** "SUBJECT: stage1 NAME (ABI n) WHAT (ABI m)". */
function tooOld(stage1: Stage1Manifest, subject: string, what: string, abi = FEATURES_ABI): PodstageError {
  return new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `${subject}: stage1 ${stage1.name} (ABI ${stage1.abiVersion}) ${what} (ABI ${abi})`, {
    hint: `use a stage1 of ABI ${abi}: the built-in host, runc or kvm`,
  });
}

export function checkPodForStage1(m: Pick<PodManifest, 'annotations' | 'volumes'>, stage1: Stage1Manifest): void {
  if (stage1.abiVersion >= FEATURES_ABI) return;
  const propagating = (m.volumes ?? []).find((v) => v.propagation !== undefined && v.propagation !== 'private');
  if (propagating !== undefined) throw tooOld(stage1, `volume ${propagating.name}`, `does not know mount propagation`);
  const host = hostNamespaces(m.annotations);
  if (host.pid || host.ipc) throw tooOld(stage1, `annotation ${HOST_NAMESPACES_ANNOTATION}`, `does not know the host's namespaces`);
  if (Object.keys(podSysctls(m.annotations)).length > 0) throw tooOld(stage1, `annotation ${SYSCTLS_ANNOTATION}`, `does not set sysctls`);
}

export function checkAppsForStage1(apps: readonly Pick<RuntimeApp, 'name' | 'annotations'>[], stage1: Stage1Manifest): void {
  for (const app of apps) {
    // Parsed whatever the ABI: a bad value is an error of its own.
    const stdio = appStdio(app.annotations, app.name);
    const devices = appDevices(app.annotations, app.name);
    for (const name of [MASKED_PATHS_ANNOTATION, READONLY_PATHS_ANNOTATION]) {
      if (appPathList(app.annotations, name, app.name) !== undefined && stage1.abiVersion < PATHS_ABI) {
        throw tooOld(stage1, `annotation ${name}`, "does not apply an app's own masked and read-only paths", PATHS_ABI);
      }
    }
    if (stage1.abiVersion >= FEATURES_ABI) continue;
    if (devices.length > 0) throw tooOld(stage1, `annotation ${DEVICES_ANNOTATION}`, `gives an app no host devices`);
    if (pidNamespaceOf(app.annotations) !== undefined) throw tooOld(stage1, `annotation ${PID_NAMESPACE_OF_ANNOTATION}`, 'cannot start an app in another\'s pid namespace');
    if (isInteractive(stdio)) throw tooOld(stage1, `app ${app.name}`, `cannot give an app ${stdio.tty ? 'a terminal' : 'a stdin'} to attach to`);
  }
}
