/** Reading and writing the files of a pod directory, one definition for all stages. */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PodstageError } from './errors.js';
import { parsePodManifest } from './manifest/validate.js';
import type { PodManifest } from './manifest/types.js';
import { appCgroup, pod, podCgroup } from './paths.js';

/** Write `data` to `file` so that readers see the old or the new content, never half, also after a power loss (fsync). */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644, { durable = true } = {}): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeFileSync(fd, data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * writeFileAtomic without the fsync, for files every start rewrites (the pid, start stamps, bundles):
 * readers still never see half a file; a power loss, which ends every pod, may leave one empty.
 */
export const replaceFile = (file: string, data: string | Uint8Array, mode = 0o644) => writeFileAtomic(file, data, mode, { durable: false });

export function readPodManifest(podDir: string): PodManifest {
  const file = pod.manifest(podDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${file}: cannot read the pod manifest (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  return parsePodManifest(text, file);
}

export function writePodManifest(podDir: string, m: PodManifest): void {
  parsePodManifest(m);
  writeFileAtomic(pod.manifest(podDir), `${JSON.stringify(m, null, 2)}\n`);
}

/** The pod's leader pid as its stage1 wrote it, or undefined. */
export function readPidFile(podDir: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(pod.pid(podDir), 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(podDir: string, pid: number): void {
  replaceFile(pod.pid(podDir), `${pid}\n`);
}

/** An app's exit status as its stage1 wrote it (rkt's status/<app>), or undefined. */
export function readAppExitStatus(podDir: string, app: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(pod.appExitStatus(podDir, app), 'utf8').trim(), 10);
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function writeAppExitStatus(podDir: string, app: string, status: number): void {
  writeFileAtomic(pod.appExitStatus(podDir, app), `${status}\n`);
}

/** Facts a stage1 reports about how it runs the pod (stage1/info.json), shown by status. */
export type Stage1Info = Record<string, string>;

export function writeStage1Info(podDir: string, info: Stage1Info): void {
  mkdirSync(pod.stage1Dir(podDir), { recursive: true });
  writeFileAtomic(pod.stage1Info(podDir), `${JSON.stringify(info, null, 2)}\n`);
}

export function readStage1Info(podDir: string): Stage1Info | undefined {
  try {
    const info = JSON.parse(readFileSync(pod.stage1Info(podDir), 'utf8')) as unknown;
    if (typeof info !== 'object' || info === null || Array.isArray(info)) return undefined;
    return Object.fromEntries(Object.entries(info).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return undefined;
  }
}

/** Run options recorded in the pod (options.json): chosen at prepare, updated by run. */
export type OutputMode = 'null' | 'log' | 'stream';

export interface PodOptions {
  net: string;
  insecureOptions: string[];
  mutable: boolean;
  /** Where apps' stdout/stderr go (stage1s with a supervisor): discarded, CRI log file, or log file and the caller's terminal. */
  stdout?: OutputMode;
  stderr?: OutputMode;
  interactive?: boolean;
  /** The OCI runtime for stage1s that use one (runc, crun). */
  ociRuntime?: string;
  /** Host ports forwarded to the pod (CNI networks only: the portmap plugin). */
  portMappings?: PortMapping[];
  /** The pod's network namespace (a bind-mounted file), set by stage0 when the pod is on CNI networks. */
  netns?: string;
  /** The pod's hostname (default `podstage-<uuid>`). */
  hostname?: string;
  dns?: DnsOptions;
  /** Extra /etc/hosts lines `IP NAME...`, or `host`: the host's /etc/hosts. */
  hostsEntries?: string[];
  /** The cgroup the pod's cgroup is made in (ABI 9; the kubelet's pod cgroup): see podCgroup. */
  cgroupParent?: string;
}

/** The pod's resolv.conf: `host` copies the host's; else nameservers, search domains, options, domain. */
export interface DnsOptions {
  servers: string[];
  searches: string[];
  options: string[];
  domain?: string;
}

/** A host port forwarded to a port of the pod (podman's -p, CNI's portMappings capability). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIP?: string;
}

/** `--net` values that are not CNI networks: the host's network, loopback only, or the stage1's choice. */
const NON_CNI_NETS = new Set(['host', 'none', 'default']);

/** The CNI networks a `--net` value names (`NAME[,NAME...]`), none for host, none and default. */
export const cniNetworks = (net: string): string[] => (NON_CNI_NETS.has(net) ? [] : net.split(','));

export function readPodOptions(podDir: string): PodOptions {
  return JSON.parse(readFileSync(pod.options(podDir), 'utf8')) as PodOptions;
}

/** The pod's options, or undefined where a prepare that died left none. */
function podOptionsIfAny(podDir: string): PodOptions | undefined {
  try {
    return readPodOptions(podDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The cgroup of the pod at `podDir` (podCgroup, under its cgroup parent if it has one). */
export const podCgroupOf = (podDir: string): string => podCgroup(basename(podDir), podOptionsIfAny(podDir)?.cgroupParent);
export const appCgroupOf = (podDir: string, app: string): string => appCgroup(basename(podDir), app, podOptionsIfAny(podDir)?.cgroupParent);

export function writePodOptions(podDir: string, o: PodOptions): void {
  writeFileAtomic(pod.options(podDir), `${JSON.stringify(o, null, 2)}\n`);
}
