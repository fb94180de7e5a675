/**
 * A pod whose containers each run under their own conmon, with no podstage
 * process left on the host once it runs (ABI.md, "Pods under conmon"): a
 * sandbox holding the pod's namespaces and one container per app. The
 * sandbox's conmon is the pod's monitor and holds the pod lock; an app's
 * conmon writes the app's CRI log and exit file and runs libexec/app-exited,
 * which records the status and ends the pod by policy.
 *
 * What differs per stage1 is the driver: the OCI-runtime command line conmon
 * runs (runc, crun, or stage1-host's nspawn adapter) and the bundles it reads.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  annotationValue, appStdio, LOG_PATH_ANNOTATION, PID_NAMESPACE_OF_ANNOTATION, pidNamespaceOf, pod, PodstageError, readAppExitStatus, readPodManifest, readPodOptions, replaceFile, STOP_TIMEOUT_MS, type PodManifest, type PodOptions,
} from '@podstage/contract';
import { backoff, cgroupProcesses, processGone, signalAll } from '@podstage/linux';
import { inCgroupArgv, podCgroup } from '../cgroups.js';
import { containerPidFile, createMonitored, monitorPidFile, type MonitoredContainer, type MonitorSpec } from './conmon.js';

export const APP_EXITED = fileURLToPath(new URL('../../libexec/app-exited', import.meta.url));
/**
 * The fd at which the pod's monitor (the sandbox's conmon) holds the pod lock.
 * Every runtime command conmon starts closes it first: a host directory fd
 * must never reach a container (runc's CVE-2024-21626).
 */
export const MONITOR_LOCK_FD = 9;
/** `exec "$0" "$@"` in sh without the lock's fd: how every runtime command line ends. */
export const EXEC_WITHOUT_LOCK = `exec ${MONITOR_LOCK_FD}<&- "$0" "$@"`;

export const containerId = (uuid: string, app: string) => `podstage-${uuid}-${app}`;
export const SANDBOX = 'sandbox';
export const sandboxId = (uuid: string) => containerId(uuid, SANDBOX);
export const bundleDir = pod.stage1Bundle;

/** Files kept in the pod's stage1/ directory (never reachable from the pod). */
export const monitoredFiles = {
  exitDir: (podDir: string) => join(pod.stage1Dir(podDir), 'exits'),
  socketDir: (podDir: string) => join(pod.stage1Dir(podDir), 'conmon'),
  /** Present in a mutable pod: app exits do not end it. */
  mutable: (podDir: string) => join(pod.stage1Dir(podDir), 'mutable'),
  /** Written when a stop begins: app exits are then not failures of the pod. */
  stopping: (podDir: string) => join(pod.stage1Dir(podDir), 'stopping'),
  /** The status of the first app that failed, which the pod exits with. */
  firstFailure: (podDir: string) => join(pod.stage1Dir(podDir), 'first-failure'),
};

export interface MonitoredPod {
  uuid: string;
  podDir: string;
  options: PodOptions;
  manifest: PodManifest;
  driver: PodDriver;
}

/** The pod's cgroup (under its cgroup parent, if it has one). */
export const monitoredPodCgroup = (p: MonitoredPod): string => podCgroup(p.uuid, p.options.cgroupParent);

/** What one stage1 brings: its runtime and its bundles. */
export interface PodDriver {
  /** The OCI-runtime command line (conmon's --runtime and --runtime-arg), ending in EXEC_WITHOUT_LOCK or closing the lock fd itself; `… start|kill|delete ID` go through it too. */
  runtime(p: MonitoredPod): readonly string[];
  /** Host resources the pod needs before its sandbox (runc: the shared /dev/shm). */
  preparePod?(p: MonitoredPod): void;
  /** The sandbox's bundle in `dir`. */
  writeSandboxBundle(p: MonitoredPod, dir: string): void;
  /** The sandbox runs once created (runc's namespace holder): `start` is not called for it. */
  sandboxRunsWhenCreated?(p: MonitoredPod): boolean;
  /** Once the runtime created the sandbox, `ms` after its bundle was written (kvm: the guest's boot). */
  sandboxCreated?(p: MonitoredPod, ms: number): void;
  /** An app's bundle in `dir`; `sandboxPid` is the sandbox's first process on the host. */
  writeAppBundle(p: MonitoredPod, app: string, dir: string, sandboxPid: number): void;
  /** After app-rm deleted the app's container (runc: unmount its root). */
  appRemoved?(p: MonitoredPod, app: string): void;
  /** The stage1's check of the pod (what it refuses), run again at app-add: the manifest then holds the new app and its volumes. */
  check?(p: MonitoredPod): void;
}

export function loadPod(uuid: string, podDir: string, driver: PodDriver): MonitoredPod {
  return { uuid, podDir, options: readPodOptions(podDir), manifest: readPodManifest(podDir), driver };
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A zombie is not alive: PID 1 of some hosts reaps orphans late (processGone). */
export const alive = (pid: number | undefined): boolean => pid !== undefined && !processGone(pid);

// ---------------------------------------------------------------- the runtime's own commands

/** Run an OCI-runtime command line (`command`, then `args`) to its end: its status and output. */
export function runRuntime(command: readonly string[], args: string[]): { status: number | null; output: string } {
  const [cmd, ...rest] = command;
  const r = spawnSync(cmd as string, [...rest, ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

const runtimeSync = (p: MonitoredPod, args: string[]) => runRuntime(p.driver.runtime(p), args);

/** `start` of a container conmon created. Asynchronous, so a pod's containers start side by side. */
function startContainer(p: MonitoredPod, id: string): Promise<void> {
  const [cmd, ...rest] = p.driver.runtime(p);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, [...rest, 'start', id], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new PodstageError('ERR_PODSTAGE_STAGE1', `start ${id}: ${err.trim()}`))));
  });
}

export const killContainer = (p: MonitoredPod, id: string, signal: string) => void runtimeSync(p, ['kill', id, signal]);
export const removeContainer = (p: MonitoredPod, id: string) => void runtimeSync(p, ['delete', '--force', id]);

// ---------------------------------------------------------------- start

function monitor(p: MonitoredPod, id: string, bundle: string, logPath: string, extra: Pick<MonitorSpec, 'exitCommand' | 'stdin' | 'terminal'> = {}): MonitorSpec {
  return { id, bundle, logPath, runtime: p.driver.runtime(p), exitDir: monitoredFiles.exitDir(p.podDir), socketDir: monitoredFiles.socketDir(p.podDir), ...extra };
}

/**
 * The pod's state directories, then the sandbox created under the conmon that takes over
 * the pod lock. Its namespaces exist from here: apps can be created while it starts.
 */
export async function createSandbox(p: MonitoredPod, lockFd: number): Promise<MonitoredContainer> {
  for (const dir of [monitoredFiles.exitDir(p.podDir), monitoredFiles.socketDir(p.podDir)]) mkdirSync(dir, { recursive: true });
  if (p.options.mutable) writeFileSync(monitoredFiles.mutable(p.podDir), '');
  p.driver.preparePod?.(p);
  const dir = bundleDir(p.podDir, SANDBOX);
  mkdirSync(dir, { recursive: true });
  p.driver.writeSandboxBundle(p, dir);
  const t0 = performance.now();
  const sandbox = await createMonitored(monitor(p, sandboxId(p.uuid), dir, `k8s-file:${join(dir, 'output.log')}`), {
    prefix: inCgroupArgv(monitoredPodCgroup(p)), lockFd: { fd: lockFd, at: MONITOR_LOCK_FD }, stdio: 'ignore',
  });
  p.driver.sandboxCreated?.(p, Math.round(performance.now() - t0));
  return sandbox;
}

export const startSandbox = async (p: MonitoredPod): Promise<void> => (p.driver.sandboxRunsWhenCreated?.(p) === true ? undefined : startContainer(p, sandboxId(p.uuid)));
export const sandboxPid = (p: MonitoredPod) => readNumber(containerPidFile(bundleDir(p.podDir, SANDBOX)));
export const monitorPid = (p: MonitoredPod) => readNumber(monitorPidFile(bundleDir(p.podDir, SANDBOX)));
/** An app's first process on the host, while it lives. */
export const appPid = (p: MonitoredPod, app: string) => readNumber(containerPidFile(bundleDir(p.podDir, app)));

/**
 * Where conmon writes the app's CRI log: `apps/<app>/log`, or the path the app's
 * LOG_PATH_ANNOTATION names (the kubelet's), which `apps/<app>/log` then links to.
 */
function appLogFile(p: MonitoredPod, app: string): string {
  const own = pod.appLog(p.podDir, app);
  const path = annotationValue(p.manifest.apps.find((a) => a.name === app)?.annotations, LOG_PATH_ANNOTATION);
  if (path === undefined || !isAbsolute(path)) return own;
  mkdirSync(dirname(path), { recursive: true });
  // conmon would follow a link there (one left by an older podstage) out of the kubelet's directory.
  if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true) rmSync(path);
  rmSync(own, { force: true });
  symlinkSync(path, own);
  return path;
}

/**
 * Start one app: its bundle, conmon running `create`, then `start`.
 * `interactive`: the app gets this process's stdio (conmon's passthrough) and no log; nor does
 * it when both its streams are discarded (--stdout=null --stderr=null).
 */
export async function startApp(p: MonitoredPod, app: string, { interactive = false } = {}): Promise<void> {
  const pid = sandboxPid(p);
  if (!alive(pid)) throw new Error(`the sandbox of pod ${p.uuid} is gone`);
  const id = containerId(p.uuid, app);
  const dir = bundleDir(p.podDir, app);
  if (existsSync(dir)) removeContainer(p, id);
  for (const stale of [pod.appExitStatus(p.podDir, app), pod.appOomKilled(p.podDir, app), join(monitoredFiles.exitDir(p.podDir), id)]) rmSync(stale, { force: true });
  mkdirSync(dir, { recursive: true });
  p.driver.writeAppBundle(p, app, dir, pid as number);
  const discarded = p.options.stdout === 'null' && p.options.stderr === 'null';
  const logPath = interactive ? 'passthrough:' : discarded ? 'none:' : `k8s-file:${appLogFile(p, app)}`;
  // An attachable app (ABI 6): conmon holds its stdin and terminal and serves them on bundles/<app>/attach.
  const stdio = interactive ? { tty: false } : appStdio(p.manifest.apps.find((a) => a.name === app)?.annotations, app);
  await createMonitored(monitor(p, id, dir, logPath, {
    exitCommand: [APP_EXITED, p.podDir, p.uuid, app, ...p.driver.runtime(p)],
    ...(stdio.stdin === undefined ? {} : { stdin: stdio.stdin }),
    ...(stdio.tty ? { terminal: true } : {}),
  }), {
    prefix: inCgroupArgv(monitoredPodCgroup(p)), stdio: interactive ? 'inherit' : 'ignore',
  });
  replaceFile(pod.appStarted(p.podDir, app), `${new Date().toISOString()}\n`);
  await startContainer(p, id);
}

// ---------------------------------------------------------------- state and stop

export function appRunning(p: MonitoredPod, app: string): boolean {
  return existsSync(pod.appStarted(p.podDir, app)) && !existsSync(pod.appExitStatus(p.podDir, app)) && alive(appPid(p, app));
}

/** The running app whose pid namespace `app` starts in (podstage.io/pid-namespace-of), if it names one. */
export function pidNamespaceTarget(p: MonitoredPod, app: string): { app: string; pid: number } | undefined {
  const target = pidNamespaceOf(p.manifest.apps.find((a) => a.name === app)?.annotations);
  if (target === undefined) return undefined;
  if (!appRunning(p, target)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${app}: annotation ${PID_NAMESPACE_OF_ANNOTATION}: app ${target} of pod ${p.uuid} is not running`);
  return { app: target, pid: appPid(p, target) as number };
}

/** Until the app's exit file is written, or nobody is left to write it (its conmon was killed). */
async function appEnded(p: MonitoredPod, app: string, deadline: number): Promise<boolean> {
  const dir = bundleDir(p.podDir, app);
  const pause = backoff();
  while (Date.now() < deadline) {
    if (existsSync(pod.appExitStatus(p.podDir, app))) return true;
    if (!alive(readNumber(containerPidFile(dir))) && !alive(readNumber(monitorPidFile(dir)))) return true;
    await pause();
  }
  return false;
}

/** SIGTERM, SIGKILL after `graceMs` (at once with force or 0); returns once the app's exit is recorded. */
export async function stopApp(p: MonitoredPod, app: string, force: boolean, graceMs = STOP_TIMEOUT_MS): Promise<void> {
  if (!alive(appPid(p, app))) return;
  const id = containerId(p.uuid, app);
  if (!force && graceMs > 0) {
    killContainer(p, id, 'TERM');
    if (await appEnded(p, app, Date.now() + graceMs)) return;
  }
  killContainer(p, id, 'KILL');
  await appEnded(p, app, Date.now() + STOP_TIMEOUT_MS);
}

/** How long a forced stop waits for the apps' exit commands before it kills them too. */
const FORCED_END_MS = 2_000;

/** Stop every app, then the sandbox; returns when nothing of the pod is left running. */
export async function stopPod(p: MonitoredPod, force: boolean): Promise<void> {
  writeFileSync(monitoredFiles.stopping(p.podDir), '');
  await Promise.all(p.manifest.apps.map((a) => stopApp(p, a.name, force)));
  killContainer(p, sandboxId(p.uuid), 'KILL');
  // Left after that: the apps' exit commands, and whatever a start cut short (a conmon still creating).
  await podEnded(p, Date.now() + (force ? FORCED_END_MS : STOP_TIMEOUT_MS));
  signalAll(cgroupProcesses(monitoredPodCgroup(p)), 'SIGKILL');
  await podEnded(p);
}

/** The pod's monitor has exited and its cgroup is empty (exit commands included). */
export async function podEnded(p: MonitoredPod, deadline = Infinity, tick?: () => void): Promise<boolean> {
  const pause = backoff();
  const monitorProcess = monitorPid(p);
  const cgroup = monitoredPodCgroup(p);
  for (;;) {
    tick?.();
    if (!alive(monitorProcess) && cgroupProcesses(cgroup).length === 0) return true;
    if (Date.now() > deadline) return false;
    await pause();
  }
}

/** Record a failure of the pod's own (an app that could not start), unless an app failed first. */
export function recordFailure(podDir: string, code: number): void {
  try {
    writeFileSync(monitoredFiles.firstFailure(podDir), `${code}\n`, { flag: 'wx' });
  } catch {
    // an earlier failure stands
  }
}

/** The pod's exit code: the first failing app's, else the only app's, else 0. */
export function podExitCode(p: MonitoredPod): number {
  const first = readNumber(monitoredFiles.firstFailure(p.podDir));
  if (first !== undefined) return first;
  const apps = readPodManifest(p.podDir).apps;
  return apps.length === 1 ? (readAppExitStatus(p.podDir, apps[0]!.name) ?? 0) : 0;
}
