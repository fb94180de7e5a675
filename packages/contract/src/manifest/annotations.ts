import type { Annotation } from './types.js';
import { PodstageError } from '../errors.js';

/** The value of the annotation `name` (pod or image manifest), if present. */
export function annotationValue(annotations: readonly Annotation[] | undefined, name: string): string | undefined {
  return annotations?.find((a) => a.name === name)?.value;
}

/**
 * An app annotation stage0 sets (the CRI: log_directory/log_path): the absolute host path
 * where the app's CRI log is written, in place of `apps/<app>/log`, which then links to it.
 */
export const LOG_PATH_ANNOTATION = 'podstage.io/log-path';

/**
 * App annotations for an interactive app (ABI 6; the CRI's stdin, stdin_once and tty):
 * `podstage.io/stdin` `stream` keeps the app's stdin open across attaches, `once` closes it
 * when the first attached client is done; `podstage.io/tty` `true` gives the app a terminal.
 */
export const STDIN_ANNOTATION = 'podstage.io/stdin';
export const TTY_ANNOTATION = 'podstage.io/tty';

export interface AppStdio {
  stdin?: 'stream' | 'once';
  tty: boolean;
}

/** The app's stdio as its annotations ask; a value other than those above is an error naming the annotation. */
export function appStdio(annotations: readonly Annotation[] | undefined, app: string): AppStdio {
  const stdin = annotationValue(annotations, STDIN_ANNOTATION);
  const tty = annotationValue(annotations, TTY_ANNOTATION);
  if (stdin !== undefined && stdin !== 'stream' && stdin !== 'once') {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `app ${app}: annotation ${STDIN_ANNOTATION}: expected stream or once, got ${JSON.stringify(stdin)}`);
  }
  if (tty !== undefined && tty !== 'true' && tty !== 'false') {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `app ${app}: annotation ${TTY_ANNOTATION}: expected true or false, got ${JSON.stringify(tty)}`);
  }
  return { ...(stdin === undefined ? {} : { stdin }), tty: tty === 'true' };
}

export const isInteractive = (s: AppStdio): boolean => s.stdin !== undefined || s.tty;

/**
 * Pod annotations on namespaces (ABI 6; Kubernetes' shareProcessNamespace, hostPID and hostIPC):
 * `podstage.io/share-pid-namespace` `true`: the apps share one pid namespace;
 * `podstage.io/host-namespaces` `pid`, `ipc` or `pid,ipc`: the pod's apps are in the host's.
 * A stage1 that cannot honour one refuses the pod.
 */
export const SHARE_PID_ANNOTATION = 'podstage.io/share-pid-namespace';
export const HOST_NAMESPACES_ANNOTATION = 'podstage.io/host-namespaces';

export interface HostNamespaces {
  pid: boolean;
  ipc: boolean;
}

export function hostNamespaces(annotations: readonly Annotation[] | undefined): HostNamespaces {
  const value = annotationValue(annotations, HOST_NAMESPACES_ANNOTATION);
  const names = value === undefined || value === '' ? [] : value.split(',');
  for (const n of names) {
    if (n !== 'pid' && n !== 'ipc') {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `annotation ${HOST_NAMESPACES_ANNOTATION}: expected pid, ipc or pid,ipc, got ${JSON.stringify(value)}`);
    }
  }
  return { pid: names.includes('pid'), ipc: names.includes('ipc') };
}

/**
 * Pod annotation (ABI 6; the CRI's linux.sysctls): a JSON object of sysctls set in the pod's own
 * namespaces before its apps start. Only namespaced ones, as Kubernetes lists them: the IPC
 * namespace's (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) and the network namespace's (net.*).
 */
export const SYSCTLS_ANNOTATION = 'podstage.io/sysctls';

const IPC_SYSCTLS = ['kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni'];
export const isNetSysctl = (name: string): boolean => name.startsWith('net.');
export const isIpcSysctl = (name: string): boolean => IPC_SYSCTLS.includes(name) || name.startsWith('fs.mqueue.');

/** The pod's sysctls, names with dots (Kubernetes also accepts slashes); a bad one is an error naming it. */
export function podSysctls(annotations: readonly Annotation[] | undefined): Record<string, string> {
  const text = annotationValue(annotations, SYSCTLS_ANNOTATION);
  if (text === undefined) return {};
  const fail = (detail: string): never => {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `annotation ${SYSCTLS_ANNOTATION}: ${detail}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('expected a JSON object of sysctl names and values');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object of sysctl names and values');
  const out: Record<string, string> = {};
  for (const [raw, v] of Object.entries(value)) {
    const name = raw.replaceAll('/', '.');
    if (!/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/.test(name)) fail(`${JSON.stringify(raw)} is not a sysctl name`);
    if (!isNetSysctl(name) && !isIpcSysctl(name)) fail(`${name} is not a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*): it would change the host`);
    if (typeof v !== 'string' || v === '' || /[\n\0]/.test(v)) fail(`${name}: expected a value on one line, got ${JSON.stringify(v)}`);
    out[name] = v as string;
  }
  return out;
}

/**
 * App annotation (ABI 6; the CRI's pid namespace TARGET, kubectl debug --target): the app starts
 * in the pid namespace of the named app of its pod, which must be running.
 */
export const PID_NAMESPACE_OF_ANNOTATION = 'podstage.io/pid-namespace-of';

export const pidNamespaceOf = (annotations: readonly Annotation[] | undefined): string | undefined => annotationValue(annotations, PID_NAMESPACE_OF_ANNOTATION);

/** An absolute path with no `..` component: a path annotations may name in an app or on the host. */
export const isPlainAbsolutePath = (p: unknown): p is string => typeof p === 'string' && p.startsWith('/') && !p.split('/').includes('..');

/**
 * App annotation (ABI 6; the CRI's devices): a JSON array of host devices the app gets,
 * `{"path": in the app, "hostPath": on the host, "permissions": any of r, w, m}`. A stage1 that
 * cannot give them refuses the app when it is added.
 */
export const DEVICES_ANNOTATION = 'podstage.io/devices';

export interface DeviceRequest {
  path: string;
  hostPath: string;
  permissions: string;
}

export function appDevices(annotations: readonly Annotation[] | undefined, app: string): DeviceRequest[] {
  const text = annotationValue(annotations, DEVICES_ANNOTATION);
  if (text === undefined) return [];
  const fail = (detail: string): never => {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `app ${app}: annotation ${DEVICES_ANNOTATION}: ${detail}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('expected a JSON array of {path, hostPath, permissions}');
  }
  if (!Array.isArray(value)) return fail('expected a JSON array of {path, hostPath, permissions}');
  return value.map((d: Partial<DeviceRequest>, i) => {
    if (!isPlainAbsolutePath(d.path) || !isPlainAbsolutePath(d.hostPath)) fail(`[${i}]: expected absolute path and hostPath`);
    const permissions = d.permissions === undefined || d.permissions === '' ? 'rwm' : d.permissions;
    if (typeof permissions !== 'string' || !/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions)) fail(`[${i}].permissions: expected some of r, w and m, got ${JSON.stringify(d.permissions)}`);
    return { path: d.path as string, hostPath: d.hostPath as string, permissions };
  });
}

/**
 * App annotations (ABI 7; the CRI's masked_paths and readonly_paths, which the kubelet sends):
 * JSON arrays of absolute paths in the app that replace the stage1's default masked (hidden)
 * and read-only /proc and /sys paths. Not given: the defaults. `--insecure-options=paths` still
 * turns every one off.
 */
export const MASKED_PATHS_ANNOTATION = 'podstage.io/masked-paths';
export const READONLY_PATHS_ANNOTATION = 'podstage.io/readonly-paths';

/** The paths an app's annotation `name` lists, or undefined when it has none. */
export function appPathList(annotations: readonly Annotation[] | undefined, name: string, app: string): string[] | undefined {
  const text = annotationValue(annotations, name);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || !value.every(isPlainAbsolutePath)) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `app ${app}: annotation ${name}: expected a JSON array of absolute paths without "..", got ${text}`);
  }
  return value as string[];
}
