/**
 * Everything a stage1 needs to start one app, worked out from the pod
 * manifest before any isolation is set up (pure except for reading the
 * image's user database).
 */
import { existsSync, readlinkSync } from 'node:fs';
import {
  effectiveCapabilities, effectiveIsolators, PodstageError, pod, POD_ETC_FILES,
  type Capability, type EffectiveIsolators, type PodManifest, type RuntimeApp,
} from '@podstage/contract';
import { appHardenedPaths, masksPaths } from './masked-paths.js';
import { resolveIdentity, type ResolvedIdentity } from '@podstage/linux';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface VolumeMount {
  /** Host path to bind. */
  source: string;
  /** Path inside the app. */
  target: string;
  readOnly: boolean;
  recursive: boolean;
  /** A host volume's propagation (Volume.propagation), when not private. */
  propagation?: 'rslave' | 'rshared';
}

export interface AppPlan {
  name: string;
  app: RuntimeApp;
  /** Where the app's root is assembled (overlay of lower + upper). */
  rootfs: string;
  lower: string;
  upper: string;
  work: string;
  exec: string[];
  env: Record<string, string>;
  cwd: string;
  identity: ResolvedIdentity;
  capabilities: Capability[];
  isolators: EffectiveIsolators;
  readOnlyRootFS: boolean;
  /** /proc and /sys hardened: /sys read-only, the paths below (off with --insecure-options=paths). */
  maskPaths: boolean;
  /** Hidden from the app, and read-only in it: runc's lists unless the app names its own (the CRI's). */
  maskedPaths: string[];
  readonlyPaths: string[];
  mounts: VolumeMount[];
}

export function findApp(m: PodManifest, name: string): RuntimeApp {
  const app = m.apps.find((a) => a.name === name);
  if (app === undefined) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `no app named ${JSON.stringify(name)} in this pod (apps: ${m.apps.map((a) => a.name).join(', ') || 'none'})`);
  return app;
}

/** Where a host volume's source is seen from where the app's mounts are made (the host, or inside a pod). */
export type HostVolumePath = (volume: { name: string; source: string }) => string;
const onTheHost: HostVolumePath = (v) => v.source;

export function volumeMounts(podDir: string, m: PodManifest, app: RuntimeApp, hostVolumePath: HostVolumePath = onTheHost): VolumeMount[] {
  return (app.mounts ?? []).map((mt) => {
    const vol = (m.volumes ?? []).find((v) => v.name === mt.volume);
    if (vol === undefined) throw new PodstageError('ERR_PODSTAGE_MANIFEST', `apps[${app.name}].mounts: no volume ${JSON.stringify(mt.volume)}`);
    const source = vol.kind === 'host' ? hostVolumePath({ name: vol.name, source: vol.source as string }) : pod.volume(podDir, vol.name);
    const propagation = vol.kind === 'host' && vol.propagation !== undefined && vol.propagation !== 'private' ? { propagation: vol.propagation } : {};
    return { source, target: mt.path, readOnly: mt.readOnly === true || vol.readOnly === true, recursive: vol.recursive !== false, ...propagation };
  });
}

/** The pod's hosts, resolv.conf and hostname that stage0 wrote, read-only over the app's own (as kubelet's). */
function podEtcMounts(podDir: string): VolumeMount[] {
  return POD_ETC_FILES.filter((f) => existsSync(pod.etcFile(podDir, f))).map((f) => ({ source: pod.etcFile(podDir, f), target: `/etc/${f}`, readOnly: true, recursive: false }));
}

export interface PlanOptions {
  /** Read the user database here instead of the image tree (a running app's root). */
  userDbRoot?: string;
  hostVolumePath?: HostVolumePath;
}

export function planApp(podDir: string, m: PodManifest, name: string, insecureOptions: readonly string[], o: PlanOptions = {}): AppPlan {
  const app = findApp(m, name);
  const lower = readlinkSync(pod.appLower(podDir, name));
  const isolators = effectiveIsolators(m.isolators, app.app.isolators);
  const identity = resolveIdentity(o.userDbRoot ?? lower, name, app.app.user, app.app.group, app.app.supplementaryGIDs);
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: identity.home };
  for (const e of app.app.environment ?? []) env[e.name] = e.value;
  env.AC_APP_NAME = name;
  return {
    name, app, lower,
    rootfs: pod.appRootfs(podDir, name),
    upper: pod.appUpper(podDir, name),
    work: pod.appWork(podDir, name),
    exec: app.app.exec,
    env,
    cwd: app.app.workingDirectory ?? '/',
    identity,
    capabilities: effectiveCapabilities(isolators.capsRetain?.set, isolators.capsRemove?.set, insecureOptions.includes('capabilities')),
    isolators,
    readOnlyRootFS: app.readOnlyRootFS === true,
    maskPaths: masksPaths(insecureOptions),
    ...appHardenedPaths(app, insecureOptions),
    mounts: [...volumeMounts(podDir, m, app, o.hostVolumePath), ...podEtcMounts(podDir)],
  };
}
