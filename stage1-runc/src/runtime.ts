/**
 * The OCI runtime's own commands, argv only: runc, or crun in a private mount
 * namespace without the cgroup2 mount (CRUN_IN_V1_VIEW). Container IDs
 * are `podstage-<uuid>-<app>` (and `-sandbox`), so a pod's containers can be
 * found again by prefix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { annotationValue, PodstageError } from '@podstage/contract';
import { RUNTIME_ANNOTATION } from './translate.js';

export const RUNTIMES = ['runc', 'crun'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/**
 * The fd at which the pod's monitor (the sandbox's conmon) holds the pod lock.
 * Every runtime command conmon starts closes it first: a host directory fd
 * must never reach a container (runc's CVE-2024-21626).
 */
export const MONITOR_LOCK_FD = 9;
const EXEC_RUNTIME = `exec ${MONITOR_LOCK_FD}<&- "$0" "$@"`;
/**
 * crun refuses a hybrid cgroup layout ("cgroups in hybrid mode not supported")
 * unless the cgroup2 mount is out of sight: util-linux unshare gives it a private
 * mount namespace, sh unmounts /sys/fs/cgroup/unified there and execs crun (no Node
 * start per crun command: a pod start runs several).
 */
const CRUN_IN_V1_VIEW = [
  '/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c',
  `if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then umount -l /sys/fs/cgroup/unified || exit 125; fi; ${EXEC_RUNTIME}`,
];

export const containerId = (uuid: string, app: string) => `podstage-${uuid}-${app}`;
export const sandboxId = (uuid: string) => containerId(uuid, 'sandbox');

export function runtimeBinary(name: RuntimeName): string {
  const path = `/usr/bin/${name}`;
  if (!existsSync(path)) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `stage1 runc needs ${name}, which is not installed`, { hint: `apt-get install ${name} (scripts/setup.sh does)` });
  }
  return path;
}

/** The command line that runs the runtime with `args` appended: what conmon is given as --runtime and --runtime-arg. */
export function runtimeCommand(name: RuntimeName): [string, ...string[]] {
  const bin = runtimeBinary(name);
  return name === 'crun' ? [...CRUN_IN_V1_VIEW as [string, ...string[]], bin] : ['/bin/sh', '-c', EXEC_RUNTIME, bin];
}

function argv(name: RuntimeName, args: string[]): [string, string[]] {
  const bin = runtimeBinary(name);
  const [unshare, ...view] = CRUN_IN_V1_VIEW as [string, ...string[]];
  return name === 'crun' ? [unshare, [...view, bin, ...args]] : [bin, args];
}

/** The pod's runtime: the pod option (--runtime), else the annotation, else runc. */
export function podRuntime(option: string | undefined, annotations: { name: string; value: string }[] = []): RuntimeName {
  const value = option ?? annotationValue(annotations, RUNTIME_ANNOTATION) ?? 'runc';
  if (!(RUNTIMES as readonly string[]).includes(value)) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `OCI runtime ${JSON.stringify(value)}: expected ${RUNTIMES.join(' or ')}`);
  }
  return value as RuntimeName;
}

function runtime(name: RuntimeName, args: string[]): { status: number | null; output: string } {
  const [cmd, rest] = argv(name, args);
  const r = spawnSync(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** `start` of a container conmon created: its process runs from here. Asynchronous, so a pod's containers start side by side. */
export function start(name: RuntimeName, id: string): Promise<void> {
  const [cmd, args] = argv(name, ['start', id]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new PodstageError('ERR_PODSTAGE_STAGE1', `${name} start ${id}: ${err.trim()}`))));
  });
}

export function kill(name: RuntimeName, id: string, signal: string): void {
  runtime(name, ['kill', id, signal]);
}

export function remove(name: RuntimeName, id: string): void {
  runtime(name, ['delete', '--force', id]);
}

/** IDs of this pod's containers the runtime still knows. */
export function listPodContainers(name: RuntimeName, uuid: string): string[] {
  return runtime(name, ['list', '--quiet']).output.split('\n').filter((id) => id.startsWith(`podstage-${uuid}-`));
}

export function execArgv(name: RuntimeName, id: string, processFile: string): [string, string[]] {
  return argv(name, ['exec', '--process', processFile, id]);
}
