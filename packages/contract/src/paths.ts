/**
 * The on-disk layout, defined once for stage0 and every stage1 (rkt's
 * common.PodManifestPath). A pod is its directory plus the flock on it.
 */
import { join } from 'node:path';
import { PodstageError } from './errors.js';

export const DEFAULT_DATA_DIR = '/var/lib/podstage';
/** The files of a pod's /etc that stage0 writes (DNS, hosts, hostname), as Kubernetes' kubelet does. */
export const POD_ETC_FILES = ['hosts', 'resolv.conf', 'hostname'] as const;
export type PodEtcFile = (typeof POD_ETC_FILES)[number];

/** A pod's host name when --hostname is not given (also stage1-host's machine name). */
export const defaultPodHostname = (uuid: string) => `podstage-${uuid}`;

/** Operator configuration: trusted keys, registries.conf, registry credentials, CNI networks (net.d). */
export const DEFAULT_CONFIG_DIR = '/etc/podstage';

export const config = {
  trustedKeys: (configDir: string) => join(configDir, 'trustedkeys'),
  registriesConf: (configDir: string) => join(configDir, 'registries.conf'),
  authFile: (configDir: string) => join(configDir, 'auth.json'),
};

/** Directories a pod moves through by atomic rename (see ABI.md, "Lifecycle"). */
export const POD_STATE_DIRS = {
  embryo: 'embryo',
  preparing: 'prepare',
  prepared: 'prepared',
  run: 'run',
  exitedGarbage: 'exited-garbage',
  garbage: 'garbage',
} as const;
export type PodStateDir = keyof typeof POD_STATE_DIRS;

export const podsDir = (dataDir: string) => join(dataDir, 'pods');
export const podStateDir = (dataDir: string, state: PodStateDir) => join(podsDir(dataDir), POD_STATE_DIRS[state]);
export const podDirIn = (dataDir: string, state: PodStateDir, uuid: string) => join(podStateDir(dataDir, state), uuid);

export const imagesDir = (dataDir: string) => join(dataDir, 'images');
export const tmpDir = (dataDir: string) => join(dataDir, 'tmp');

/** Files inside one pod directory. */
export const pod = {
  manifest: (podDir: string) => join(podDir, 'pod'),
  /** flock'd while the manifest of a mutable pod is read-modify-written (app add/rm). */
  manifestLock: (podDir: string) => join(podDir, 'pod.lock'),
  stage1: (podDir: string) => join(podDir, 'stage1.json'),
  options: (podDir: string) => join(podDir, 'options.json'),
  pid: (podDir: string) => join(podDir, 'pid'),
  created: (podDir: string) => join(podDir, 'created'),
  started: (podDir: string) => join(podDir, 'started'),
  /** Output of the run entrypoint of a pod started in detach mode (stage0 opens it; data only). */
  runOutput: (podDir: string) => join(podDir, 'run.out'),
  stage1Dir: (podDir: string) => join(podDir, 'stage1'),
  stage1Info: (podDir: string) => join(podDir, 'stage1', 'info.json'),
  /** A container's conmon bundle (ABI.md, "Pods under conmon"): the sandbox's and each app's. */
  stage1Bundle: (podDir: string, name: string) => join(podDir, 'stage1', 'bundles', name),
  /** An app's monitor's control FIFO: `1 ROWS COLUMNS` resizes its terminal, `2 0 0` reopens its log (conmon's). */
  appMonitorControl: (podDir: string, app: string) => join(podDir, 'stage1', 'bundles', app, 'ctl'),
  /** An app's monitor's attach socket (ABI 6; SOCK_SEQPACKET, conmon's protocol). */
  appAttachSocket: (podDir: string, app: string) => join(podDir, 'stage1', 'bundles', app, 'attach'),
  appsDir: (podDir: string) => join(podDir, 'apps'),
  appDir: (podDir: string, app: string) => join(podDir, 'apps', app),
  appRootfs: (podDir: string, app: string) => join(podDir, 'apps', app, 'rootfs'),
  appLower: (podDir: string, app: string) => join(podDir, 'apps', app, 'lower'),
  appUpper: (podDir: string, app: string) => join(podDir, 'apps', app, 'upper'),
  appWork: (podDir: string, app: string) => join(podDir, 'apps', app, 'work'),
  appExitStatus: (podDir: string, app: string) => join(podDir, 'apps', app, 'exit'),
  /** Present when the kernel's OOM killer ended the app (its memory limit was reached). */
  appOomKilled: (podDir: string, app: string) => join(podDir, 'apps', app, 'oom-killed'),
  appStarted: (podDir: string, app: string) => join(podDir, 'apps', app, 'started'),
  appLog: (podDir: string, app: string) => join(podDir, 'apps', app, 'log'),
  volumesDir: (podDir: string) => join(podDir, 'volumes'),
  /** hosts, resolv.conf, hostname: written by stage0, bound read-only at /etc/<name> in every app. */
  etcFile: (podDir: string, name: PodEtcFile) => join(podDir, 'etc', name),
  volume: (podDir: string, name: string) => join(podDir, 'volumes', name),
};

/** Pod UUIDs are RFC 4122 v4, lower case; anything else is refused as a path. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A segment of a cgroup parent: a cgroupfs directory name (what the kubelet's cgroupfs driver makes: kubepods, burstable, pod<uid>). */
const CGROUP_SEGMENT = /^[A-Za-z0-9_:@.-]{1,255}$/;

/**
 * A cgroup parent (the kubelet's linux.cgroup_parent, podman's --cgroup-parent) as a path below
 * each hierarchy's root, without its leading slash; `field` names it in the error. cgroupfs paths
 * only: systemd's slice names are refused (podstage writes its cgroups itself, RuntimeConfig says so).
 */
export function checkCgroupParent(value: string, field = 'cgroupParent'): string {
  if (value.endsWith('.slice')) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `${field}: ${JSON.stringify(value)} is a systemd slice; podstage takes a cgroupfs path such as /kubepods/burstable/pod<uid>`, {
      hint: "run the kubelet with --cgroup-driver=cgroupfs (podstage's RuntimeConfig answers cgroupfs)",
    });
  }
  const segments = value.split('/').filter((s) => s !== '');
  if (!value.startsWith('/') || segments.length === 0 || segments.some((s) => s === '.' || s === '..' || !CGROUP_SEGMENT.test(s))) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `${field}: expected an absolute cgroup path such as /kubepods/burstable/pod<uid> (names of letters, digits and _:@.-), got ${JSON.stringify(value)}`);
  }
  if (segments[0] === 'podstage') throw new PodstageError('ERR_PODSTAGE_USAGE', `${field}: ${JSON.stringify(value)} is inside podstage's own pod cgroups`);
  return segments.join('/');
}

/**
 * A pod's cgroup and its apps', relative to each hierarchy's root (/sys/fs/cgroup/<ctrl>/...):
 * `podstage/<uuid>`, or `<parent>/podstage-<uuid>` under a cgroup parent (options.json, ABI 9).
 */
export const podCgroup = (uuid: string, parent?: string) => (parent === undefined ? `podstage/${uuid}` : `${checkCgroupParent(parent)}/podstage-${uuid}`);
export const appCgroup = (uuid: string, app: string, parent?: string) => `${podCgroup(uuid, parent)}/apps/${app}`;
