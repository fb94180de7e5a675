/**
 * The OCI runtime's command line: runc, or crun in a private mount namespace
 * without the cgroup2 mount (CRUN_IN_V1_VIEW). Container IDs are
 * `podstage-<uuid>-<app>` (and `-sandbox`), so a pod's containers can be found
 * again by prefix (gc).
 */
import { existsSync } from 'node:fs';
import { annotationValue, PodstageError } from '@podstage/contract';
import { EXEC_WITHOUT_LOCK, runRuntime } from '@podstage/stage1-common/monitored';
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
  `if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then umount -l /sys/fs/cgroup/unified || exit 125; fi; ${EXEC_WITHOUT_LOCK}`,
];

export function runtimeBinary(name: RuntimeName): string {
  const path = `/usr/bin/${name}`;
  if (!existsSync(path)) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `stage1 runc needs ${name}, which is not installed`, { hint: `apt-get install ${name} (scripts/setup.sh does)` });
  }
  return path;
}

/**
 * The command line that runs the runtime with arguments appended: what conmon is given as
 * --runtime and --runtime-arg, and how podstage runs the runtime's own commands too.
 */
export function runtimeCommand(name: RuntimeName): [string, ...string[]] {
  const bin = runtimeBinary(name);
  return name === 'crun' ? [...CRUN_IN_V1_VIEW as [string, ...string[]], bin] : ['/bin/sh', '-c', EXEC_WITHOUT_LOCK, bin];
}

/** The same for a caller that has closed the lock's fd itself (libexec/pod-runtime): runc needs no sh in front. */
export function bareRuntimeCommand(name: RuntimeName): [string, ...string[]] {
  return name === 'crun' ? runtimeCommand(name) : [runtimeBinary(name)];
}

function argv(name: RuntimeName, args: string[]): [string, string[]] {
  const [cmd, ...rest] = runtimeCommand(name);
  return [cmd, [...rest, ...args]];
}

/** crun takes a seccomp filter compiled by podstage (translate.ts CRUN_SECCOMP_BPF); runc compiles linux.seccomp itself. */
export const loadsCompiledSeccomp = (name: RuntimeName): boolean => name === 'crun';

/** The pod's runtime: the pod option (--runtime), else the annotation, else runc. */
export function podRuntime(option: string | undefined, annotations: { name: string; value: string }[] = []): RuntimeName {
  const value = option ?? annotationValue(annotations, RUNTIME_ANNOTATION) ?? 'runc';
  if (!(RUNTIMES as readonly string[]).includes(value)) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `OCI runtime ${JSON.stringify(value)}: expected ${RUNTIMES.join(' or ')}`);
  }
  return value as RuntimeName;
}

const runtime = (name: RuntimeName, args: string[]) => runRuntime(runtimeCommand(name), args);

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
