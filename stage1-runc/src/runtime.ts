/**
 * The OCI runtime's own commands, argv only: runc, or crun in a private mount
 * namespace without the cgroup2 mount (CRUN_IN_V1_VIEW). Container IDs
 * are `podstage-<uuid>-<app>` (and `-sandbox`), so a pod's containers can be
 * found again by prefix.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { annotationValue, PodstageError } from '@podstage/contract';
import { RUNTIME_ANNOTATION } from './translate.js';

export const RUNTIMES = ['runc', 'crun'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];
/**
 * crun refuses a hybrid cgroup layout ("cgroups in hybrid mode not supported")
 * unless the cgroup2 mount is out of sight: util-linux unshare gives it a private
 * mount namespace, sh unmounts /sys/fs/cgroup/unified there and execs crun (no Node
 * start per crun command: a pod start runs several).
 */
const CRUN_IN_V1_VIEW = [
  '/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c',
  'if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then umount -l /sys/fs/cgroup/unified || exit 125; fi; exec "$0" "$@"',
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

/** `run` in the foreground: the child's exit status is the container's. */
export function runContainer(name: RuntimeName, bundle: string, id: string, interactive: boolean): ChildProcess {
  const [cmd, args] = argv(name, ['run', '--bundle', bundle, id]);
  return spawn(cmd, args, { stdio: interactive ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
}

/**
 * `run --detach`: the container keeps the stdio it is given, so it gets a file
 * (a pipe would never close and we would wait for it forever). Its pid comes
 * from --pid-file: no `state` call after it.
 */
export function runDetached(name: RuntimeName, bundle: string, id: string): number {
  const pidFile = join(bundle, 'container.pid');
  const [cmd, args] = argv(name, ['run', '--detach', '--pid-file', pidFile, '--bundle', bundle, id]);
  const logFile = join(bundle, 'runtime.log');
  const fd = openSync(logFile, 'w');
  try {
    const r = spawnSync(cmd, args, { stdio: ['ignore', fd, fd] });
    if (r.status !== 0) throw new PodstageError('ERR_PODSTAGE_STAGE1', `${name} run ${id}: ${readFileSync(logFile, 'utf8').trim()}`);
  } finally {
    closeSync(fd);
  }
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  if (!(pid > 0)) throw new PodstageError('ERR_PODSTAGE_STAGE1', `${name} run ${id}: no pid in ${pidFile}`);
  return pid;
}

export function kill(name: RuntimeName, id: string, signal: string): void {
  const [cmd, args] = argv(name, ['kill', id, signal]);
  execaSync(cmd, args, { reject: false, stdio: 'ignore' });
}

export function remove(name: RuntimeName, id: string): void {
  const [cmd, args] = argv(name, ['delete', '--force', id]);
  execaSync(cmd, args, { reject: false, stdio: 'ignore' });
}

/** IDs of this pod's containers the runtime still knows. */
export function listPodContainers(name: RuntimeName, uuid: string): string[] {
  const [cmd, args] = argv(name, ['list', '--quiet']);
  const r = execaSync(cmd, args, { reject: false });
  return String(r.stdout).split('\n').filter((id) => id.startsWith(`podstage-${uuid}-`));
}

export function execArgv(name: RuntimeName, id: string, processFile: string): [string, string[]] {
  return argv(name, ['exec', '--process', processFile, id]);
}
