/**
 * How conmon runs a host pod (@podstage/stage1-common/monitored). The runtime
 * is libexec/nspawn-runtime; each bundle holds run.sh, the container's first
 * command: systemd-nspawn for the sandbox (in a private mount namespace, with
 * the pod's device allowlist), nsenter into the pod's namespaces and the stage2
 * helper for an app, which builds the app's isolation and execs it in place.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { PodstageError, type RunOptions } from '@podstage/contract';
import { isMountPoint } from '@podstage/linux';
import { CGROUP_ROOT, limitDevicesCgroup, shellCommand, shellQuote, sysctlLines } from '@podstage/stage1-common';
import { appPid, bundleDir, monitoredPodCgroup, pidNamespaceTarget, type MonitoredPod, type PodDriver } from '@podstage/stage1-common/monitored';
import { sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';
import { hostVolumeInPod, POD_DIR, stage1Rootfs } from './layout.js';
import { writeStage1Rootfs } from './stage1-rootfs.js';
import { checkHostSupport, NSPAWN, nspawnArgs, nspawnBinds, nspawnPrefix, WRITABLE_POD_DIRS, type NspawnContext } from './translate.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const NSPAWN_RUNTIME = join(packageDir, 'libexec', 'nspawn-runtime');
/** The stage2 helper (Node): builds an app's isolation inside the pod and execs it (or, with --enter, a command in it). */
export const STAGE2 = join(packageDir, 'dist', 'stage2', 'exec-app.js');
/** Attaches host volumes nspawn did not bind (an app added to a running pod) in the pod's mount namespace, from the host. */
const ATTACH_VOLUMES = join(packageDir, 'dist', 'stage2', 'attach-volumes.js');
const NSENTER = '/usr/bin/nsenter';

/** The host's static busybox (the pod's init too): its unshare passes a SIGKILLed child's status on, util-linux 2.38's exits 1. */
const BUSYBOX = '/usr/bin/busybox';
/** In an app's bundle: `own` when the app has a pid namespace of its own (unshare is its parent). */
const PID_NAMESPACE_FILE = 'pid-namespace';
const POD_NAMESPACES = ['--uts', '--ipc', '--net', '--cgroup'];

/**
 * nsenter into every namespace of the pod whose init is `init` (on the host), the pid namespace
 * of `pidOf` (an app's, or the pod's), then the stage2 helper with `args` (under `wrapper`).
 */
export const stage2InPod = (init: number, args: readonly string[], { pidOf = init, wrapper = [] as string[] } = {}): string[] => [
  NSENTER, `--target=${init}`, ...POD_NAMESPACES, `--pid=/proc/${pidOf}/ns/pid`, '--mount', '--', ...wrapper, process.execPath, STAGE2, ...args,
];

/** Where an app's pid namespace comes from: the pod's (shared), another app's (TARGET), or its own. */
export type AppPidNamespace = { kind: 'pod' } | { kind: 'of'; pid: number } | { kind: 'own' };

/**
 * Starting `app` in the pod's namespaces and the pid namespace it has: the pod's, another app's,
 * or its own, pid 1 of a new one below the pod's (busybox's unshare stays its parent, as nsenter
 * does on the host).
 */
export const stage2StartInPod = (init: number, app: string, pid: AppPidNamespace): string[] => stage2InPod(init, [POD_DIR, app], {
  pidOf: pid.kind === 'of' ? pid.pid : init, wrapper: pid.kind === 'own' ? [BUSYBOX, 'unshare', '-p', '-f', '--'] : [],
});

/**
 * The host volumes `app` mounts that are not in the pod yet (one that came with an app added to
 * a running pod, after nspawn made its binds), attached from the host by attach-volumes.
 */
function attachNewVolumes(p: MonitoredPod, init: number, app: string): void {
  const mounted = new Set((p.manifest.apps.find((a) => a.name === app)?.mounts ?? []).map((mt) => mt.volume));
  const missing = (p.manifest.volumes ?? []).filter((v) => v.kind === 'host' && mounted.has(v.name) && !isMountPoint(hostVolumeInPod(v), init));
  if (missing.length === 0) return;
  const r = spawnSync(process.execPath, [ATTACH_VOLUMES, String(init), ...missing.map((v) => `${v.name}=${v.source as string}`)], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `app ${app} of pod ${p.uuid}: host volumes ${missing.map((v) => v.name).join(', ')} could not be attached: ${(r.stderr || String(r.error ?? r.signal)).trim()}`);
  }
}

/** An app's process on the host: its container's first process (nsenter)'s child, or, in a pid namespace of its own, unshare's. */
export function appProcess(p: MonitoredPod, app: string): number | undefined {
  const first = appPid(p, app);
  const child = first === undefined ? undefined : childOf(first);
  return child !== undefined && ownsPidNamespace(p, app) ? childOf(child) : child;
}

function ownsPidNamespace(p: MonitoredPod, app: string): boolean {
  try {
    return readFileSync(join(bundleDir(p.podDir, app), PID_NAMESPACE_FILE), 'utf8') === 'own';
  } catch {
    return false;
  }
}
/** nspawn cleans its propagation directory with rm_rf, which refuses a disk filesystem: it gets a tmpfs in its own mount namespace. */
const NSPAWN_PROPAGATION = '/run/systemd/nspawn';

export function findNspawn(): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const p = join(dir, NSPAWN);
    if (existsSync(p)) return p;
  }
  throw new PodstageError('ERR_PODSTAGE_HOST', 'stage1 host needs systemd-nspawn, which is not installed', { hint: 'apt-get install systemd-container (scripts/setup.sh does)' });
}

/** DATA/pods/run/<uuid> → DATA/images/trees, where every app's lower layer lives. */
function treesDirOf(podDir: string): string {
  const dir = join(dirname(dirname(dirname(podDir))), 'images', 'trees');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function nspawnContext(o: Pick<RunOptions, 'podDir' | 'uuid' | 'net' | 'netns' | 'insecureOptions'> & { hostname?: string | undefined; mutable?: boolean; cgroupParent?: string | undefined }): NspawnContext {
  return {
    podDir: o.podDir, uuid: o.uuid, net: o.net, netns: o.netns, hostname: o.hostname, insecureOptions: o.insecureOptions, mutable: o.mutable === true,
    ...(o.cgroupParent === undefined ? {} : { cgroupParent: o.cgroupParent }),
    installRoot: dirname(packageDir), nodeBinary: process.execPath, treesDir: treesDirOf(realpathSync(o.podDir)),
  };
}

/** The first child of a host process (nspawn → the pod's init; nsenter → the app). */
export function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

function writeRunScript(dir: string, lines: string[]): void {
  writeFileSync(join(dir, 'run.sh'), `${lines.join('\n')}\n`, { mode: 0o644 });
}

/** The pod's (podstage.io/share-pid-namespace), a running app's (podstage.io/pid-namespace-of), else the app's own, as under runc. */
function appPidNamespace(p: MonitoredPod, app: string): AppPidNamespace {
  const target = pidNamespaceTarget(p, app);
  if (target !== undefined) {
    const pid = appProcess(p, target.app);
    if (pid === undefined) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${app}: app ${target.app} of pod ${p.uuid}, whose pid namespace it joins, has no process`);
    return { kind: 'of', pid };
  }
  return sharesPidNamespace(p.manifest) ? { kind: 'pod' } : { kind: 'own' };
}

/** `debug`: nspawn's own log level (the run entrypoint's --debug). */
export function hostDriver(debug = false): PodDriver {
  const devicesProcs = (p: MonitoredPod) => join(CGROUP_ROOT, 'devices', monitoredPodCgroup(p), 'cgroup.procs');
  return {
    runtime: (p) => [NSPAWN_RUNTIME, p.podDir, process.execPath],
    preparePod(p) {
      for (const dir of WRITABLE_POD_DIRS) mkdirSync(dir(p.podDir), { recursive: true });
      mkdirSync(NSPAWN_PROPAGATION, { recursive: true });
      limitDevicesCgroup(monitoredPodCgroup(p));
    },
    writeSandboxBundle(p, dir) {
      const ctx = nspawnContext({ ...p.options, podDir: p.podDir, uuid: p.uuid });
      writeStage1Rootfs(stage1Rootfs(p.podDir), nspawnBinds(p.manifest, ctx).map((b) => b.target));
      const nspawn = findNspawn();
      const privateMounts = ['/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c',
        `mount -t tmpfs -o mode=0755 tmpfs ${NSPAWN_PROPAGATION} && exec "$0" "$@"`];
      // nspawn-runtime sets them in the pod's namespaces once nspawn runs, before any app.
      writeFileSync(join(dir, 'sysctls'), sysctlLines(p.manifest));
      writeRunScript(dir, [
        `echo $$ > ${shellQuote(devicesProcs(p))} || exit 125`,
        `export SYSTEMD_SECCOMP=0 SYSTEMD_LOG_LEVEL=${debug ? 'info' : 'err'}`,
        `exec ${shellCommand([...nspawnPrefix(ctx), ...privateMounts, nspawn, ...nspawnArgs(p.manifest, ctx)])}`,
      ]);
    },
    check: (p) => checkHostSupport(p.manifest, p.options),
    writeAppBundle(p, app, dir, sandboxPid) {
      const init = childOf(sandboxPid);
      if (init === undefined) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${p.uuid}: nspawn ${sandboxPid} has no init`);
      attachNewVolumes(p, init, app);
      const pid = appPidNamespace(p, app);
      writeFileSync(join(dir, PID_NAMESPACE_FILE), pid.kind);
      writeRunScript(dir, [
        `echo $$ > ${shellQuote(devicesProcs(p))} || exit 125`,
        `exec ${shellCommand(stage2StartInPod(init, app, pid))}`,
      ]);
    },
  };
}

