/**
 * Pod manifest → the systemd-nspawn command line (pure; snapshot-tested).
 * nspawn gives the pod its own pid, mount, UTS, IPC and cgroup namespaces
 * (and a private network for --net=none); its payload, PID 1, only holds
 * them open and reaps orphans (the shared pod init loop, on the host's static
 * busybox). Apps are entered into them one by one under their own conmon (driver.ts).
 */
import { dirname, join } from 'node:path';
import { CAPABILITIES, effectiveCapabilities, effectiveIsolators, HOST_NAMESPACES_ANNOTATION, hostNamespaces, pod, PodstageError, type PodManifest, type Stage1CheckOptions } from '@podstage/contract';
import { POD_CONTROLLERS, cgroupDir, checkPodSysctls, checkSeccompIsolators, refuseDevices, refuseMountPropagation, podCgroup, podInitArgs } from '@podstage/stage1-common';
import { CGROUP_DIR, hostVolumeInPod, machineName, POD_DIR, stage1Rootfs } from './layout.js';

export const NSPAWN = 'systemd-nspawn';

/** The only parts of the pod directory writable inside the pod (ABI.md, "What a pod can write"): the apps' layers and the volumes. */
export const WRITABLE_POD_DIRS = [pod.appsDir, pod.volumesDir] as const;
/** nspawn's payload: the pod's init, from the host's /usr (bound into the stage1 rootfs). */
export const POD_INIT = podInitArgs('/usr/bin/busybox');

/** What the host side knows when it builds the command line. */
export interface NspawnContext {
  podDir: string;
  uuid: string;
  net: string;
  /** The pod's network namespace (CNI networks, set up by stage0): nspawn joins it. */
  netns?: string | undefined;
  /** The pod's hostname (--hostname), else the machine name. */
  hostname?: string | undefined;
  insecureOptions: readonly string[];
  /** A sandbox whose apps come later (app-add, the CRI): which capabilities they will ask for is not known yet. */
  mutable?: boolean;
  /** The cgroup the pod's is made in (the kubelet's pod cgroup; ABI 9). */
  cgroupParent?: string | undefined;
  /** Directory holding node_modules/ and the stage1 packages, bound read-only at the same path. */
  installRoot: string;
  /** The Node the stage2 helper runs on, bound read-only at the same path. */
  nodeBinary: string;
  /** Image trees the apps' lower layers point into, bound read-only at the same path. */
  treesDir: string;
}

/** What nspawn grants its payload by default. */
const NSPAWN_DEFAULT_CAPS = new Set([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_IPC_OWNER', 'CAP_KILL', 'CAP_LEASE',
  'CAP_LINUX_IMMUTABLE', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID',
  'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_CHROOT', 'CAP_SYS_NICE', 'CAP_SYS_PTRACE',
  'CAP_SYS_RESOURCE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
]);

/**
 * Capabilities nspawn does not grant its payload by default but an app asks for. Every one for a
 * mutable pod: nspawn's set is only the ceiling, the stage2 helper gives each app exactly its own.
 */
export function extraCapabilities(m: PodManifest, insecureOptions: readonly string[], mutable = false): string[] {
  const wanted = new Set<string>(mutable ? CAPABILITIES : []);
  for (const app of m.apps) {
    const iso = effectiveIsolators(m.isolators, app.app.isolators);
    for (const c of effectiveCapabilities(iso.capsRetain?.set, iso.capsRemove?.set, insecureOptions.includes('capabilities'))) wanted.add(c);
  }
  return [...wanted].filter((c) => !NSPAWN_DEFAULT_CAPS.has(c)).sort();
}

const HOST_DEVICES_WHY = 'the pod\'s device cgroup allows runc\'s default devices only';

export function checkHostSupport(m: PodManifest, o: Pick<Stage1CheckOptions, 'net'>): void {
  checkSeccompIsolators(m);
  checkPodSysctls(m, o);
  refuseMountPropagation(m, 'host', "nspawn's pod has a private mount namespace of its own");
  refuseDevices(m.apps, 'host', HOST_DEVICES_WHY);
  const host = hostNamespaces(m.annotations);
  if (host.pid || host.ipc) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 host: annotation ${HOST_NAMESPACES_ANNOTATION}: systemd-nspawn always gives a pod its own pid and IPC namespaces`, {
      hint: 'run the pod under stage1 runc',
    });
  }
}

/** One directory nspawn binds into the pod; `target` is a path inside the pod. */
export interface NspawnBind {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * Everything bound into the stage1 rootfs. The pod directory is read-only inside:
 * what stage0 trusts later (pod, stage1.json, options.json, pid) cannot be rewritten
 * from the pod. Writable: apps' layers, exit statuses and logs, empty volumes, the
 * the pod's cgroups (for the apps' own cgroups and limits).
 */
export function nspawnBinds(m: PodManifest, c: NspawnContext): NspawnBind[] {
  const ro = (source: string, target = source): NspawnBind => ({ source, target, readOnly: true });
  const rw = (source: string, target: string): NspawnBind => ({ source, target, readOnly: false });
  const binds = [
    ro(c.podDir, POD_DIR),
    ...WRITABLE_POD_DIRS.map((dir) => rw(dir(c.podDir), dir(POD_DIR))),
    ro('/usr'),
    ro(c.installRoot),
    ro(c.treesDir),
  ];
  if (!c.nodeBinary.startsWith(`${c.installRoot}/`)) binds.push(ro(dirname(dirname(c.nodeBinary))));
  for (const ctrl of POD_CONTROLLERS) {
    if (ctrl !== 'systemd') binds.push(rw(cgroupDir(ctrl, podCgroup(c.uuid, c.cgroupParent)), join(CGROUP_DIR, ctrl)));
  }
  for (const v of m.volumes ?? []) {
    if (v.kind === 'host') binds.push({ source: v.source as string, target: hostVolumeInPod(v), readOnly: v.readOnly === true });
  }
  return binds;
}

/**
 * What nspawn runs under: on a CNI network, inside the pod's namespace. Not nspawn's
 * --network-namespace-path, which joins it after mounting the container's /sys, so
 * /sys/class/net would list the host's interfaces.
 */
export const nspawnPrefix = (c: NspawnContext): string[] => (c.netns === undefined ? [] : ['/usr/bin/nsenter', `--net=${c.netns}`, '--']);

export function nspawnArgs(m: PodManifest, c: NspawnContext): string[] {
  const args = [
    '--quiet', '--register=no', '--keep-unit', '--console=pipe',
    `--directory=${stage1Rootfs(c.podDir)}`,
    `--machine=${machineName(c.uuid)}`,
    ...(c.hostname === undefined ? [] : [`--hostname=${c.hostname}`]),
    // The stage1 rootfs too: exec.ts creates every bind's mount point beforehand.
    '--read-only',
    ...nspawnBinds(m, c).map((b) => `--bind${b.readOnly ? '-ro' : ''}=${b.source}:${b.target}`),
  ];
  if (c.netns === undefined && c.net === 'none') args.push('--private-network');
  const caps = extraCapabilities(m, c.insecureOptions, c.mutable === true);
  if (caps.length > 0) args.push(`--capability=${caps.join(',')}`);
  args.push('--', ...POD_INIT);
  return args;
}
