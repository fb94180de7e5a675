/**
 * A runc pod on the host, with no podstage process left in it once it runs
 * (ABI.md, "stage1 runc"): a sandbox container holding the pod's namespaces
 * and one container per app joining them, each under its own conmon in the
 * pod's cgroup. The sandbox's conmon is the pod's monitor and holds the pod
 * lock; an app's conmon writes the app's CRI log and exit file and runs
 * libexec/app-exited, which records the status and ends the pod by policy.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  pod, readAppExitStatus, readPodManifest, readPodOptions, STOP_TIMEOUT_MS, writeFileAtomic, type PodManifest, type PodOptions,
} from '@podstage/contract';
import { backoff, podProcesses, processGone, signalAll } from '@podstage/linux';
import { inCgroupArgv, mountAppRootfs, planApp, podCgroup } from '@podstage/stage1-common';
import { sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';
import { containerPidFile, createMonitored, monitorPidFile, type MonitoredContainer } from './conmon.js';
import { mountPodShm, podShm } from './pod-shm.js';
import { containerId, kill, MONITOR_LOCK_FD, podRuntime, remove, runtimeCommand, sandboxId, start, type RuntimeName } from './runtime.js';
import { appConfig, SANDBOX_BUSYBOX, sandboxConfig, type AppContext } from './translate.js';

export const PAUSE_BINARY = '/bin/busybox';
export const APP_EXITED = fileURLToPath(new URL('../libexec/app-exited', import.meta.url));
export const bundleDir = (podDir: string, app: string) => join(podDir, 'stage1', 'bundles', app);

/** Files the stage1 keeps in the pod's stage1/ directory (never reachable from the pod). */
export const runcFiles = {
  exitDir: (podDir: string) => join(pod.stage1Dir(podDir), 'exits'),
  socketDir: (podDir: string) => join(pod.stage1Dir(podDir), 'conmon'),
  /** Present in a mutable pod: app exits do not end it. */
  mutable: (podDir: string) => join(pod.stage1Dir(podDir), 'mutable'),
  /** Written when a stop begins: app exits are then not failures of the pod. */
  stopping: (podDir: string) => join(pod.stage1Dir(podDir), 'stopping'),
  /** The status of the first app that failed, which the pod exits with. */
  firstFailure: (podDir: string) => join(pod.stage1Dir(podDir), 'first-failure'),
};

export interface RuncPod {
  uuid: string;
  podDir: string;
  options: PodOptions;
  manifest: PodManifest;
  runtime: RuntimeName;
}

export function loadPod(uuid: string, podDir: string): RuncPod {
  const options = readPodOptions(podDir);
  const manifest = readPodManifest(podDir);
  return { uuid, podDir, options, manifest, runtime: podRuntime(options.ociRuntime, manifest.annotations) };
}

function writeBundle(dir: string, config: object): string {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return dir;
}

function readNumber(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A zombie is not alive: PID 1 of some hosts reaps orphans late (processGone). */
export const alive = (pid: number | undefined): boolean => pid !== undefined && !processGone(pid);

/** This process's own limits, which an app may not exceed here (no CAP_SYS_RESOURCE). */
export function runtimeLimits(): Pick<AppContext, 'minOomScoreAdj' | 'maxOpenFiles'> {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return {
    minOomScoreAdj: Number.parseInt(readFileSync('/proc/self/oom_score_adj', 'utf8'), 10),
    maxOpenFiles: hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard),
  };
}

export function appContext(p: RuncPod, sandboxPid: number): AppContext {
  return {
    uuid: p.uuid, sandboxPid, sharePid: sharesPidNamespace(p.manifest), shm: podShm(p.podDir), insecureOptions: p.options.insecureOptions, ...runtimeLimits(),
  };
}

function monitor(p: RuncPod, id: string, bundle: string, logPath: string, exitCommand?: string[]) {
  return {
    id, bundle, logPath, runtime: runtimeCommand(p.runtime), exitDir: runcFiles.exitDir(p.podDir), socketDir: runcFiles.socketDir(p.podDir),
    ...(exitCommand === undefined ? {} : { exitCommand }),
  };
}

/**
 * The pod's cgroup, /dev/shm and state directories, then the sandbox created under the conmon
 * that takes over the pod lock. Its namespaces exist from here: apps can be created while it starts.
 */
export async function createSandbox(p: RuncPod, lockFd: number): Promise<MonitoredContainer> {
  for (const dir of [runcFiles.exitDir(p.podDir), runcFiles.socketDir(p.podDir)]) mkdirSync(dir, { recursive: true });
  if (p.options.mutable) writeFileSync(runcFiles.mutable(p.podDir), '');
  mountPodShm(p.podDir);
  const dir = bundleDir(p.podDir, 'sandbox');
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  const pause = join(dir, 'rootfs', SANDBOX_BUSYBOX);
  if (!existsSync(pause)) copyFileSync(PAUSE_BINARY, pause);
  writeBundle(dir, sandboxConfig({ uuid: p.uuid, rootfs: join(dir, 'rootfs'), net: p.options.net === 'none' ? 'none' : 'host', insecureOptions: p.options.insecureOptions }));
  return createMonitored(monitor(p, sandboxId(p.uuid), dir, `k8s-file:${join(dir, 'output.log')}`), {
    prefix: inCgroupArgv(podCgroup(p.uuid)), lockFd: { fd: lockFd, at: MONITOR_LOCK_FD }, stdio: 'ignore',
  });
}

export const startSandbox = (p: RuncPod): Promise<void> => start(p.runtime, sandboxId(p.uuid));

export const sandboxPid = (p: RuncPod) => readNumber(containerPidFile(bundleDir(p.podDir, 'sandbox')));
export const monitorPid = (p: RuncPod) => readNumber(monitorPidFile(bundleDir(p.podDir, 'sandbox')));

/**
 * Start one app: its overlay and bundle, conmon running `create`, then `start`.
 * `interactive`: the app gets this process's stdio (conmon's passthrough) and no log.
 */
export async function startApp(p: RuncPod, app: string, { interactive = false } = {}): Promise<void> {
  const pid = sandboxPid(p);
  if (!alive(pid)) throw new Error(`the sandbox of pod ${p.uuid} is gone`);
  const plan = planApp(p.podDir, p.manifest, app, p.options.insecureOptions);
  const id = containerId(p.uuid, app);
  const dir = bundleDir(p.podDir, app);
  if (existsSync(dir)) remove(p.runtime, id);
  for (const stale of [pod.appExitStatus(p.podDir, app), join(runcFiles.exitDir(p.podDir), id)]) rmSync(stale, { force: true });
  mountAppRootfs(p.podDir, app);
  writeBundle(dir, appConfig(plan, appContext(p, pid as number)));
  const logPath = interactive ? 'passthrough:' : `k8s-file:${pod.appLog(p.podDir, app)}`;
  await createMonitored(monitor(p, id, dir, logPath, [APP_EXITED, p.podDir, p.uuid, app, ...runtimeCommand(p.runtime)]), {
    prefix: inCgroupArgv(podCgroup(p.uuid)), stdio: interactive ? 'inherit' : 'ignore',
  });
  writeFileAtomic(pod.appStarted(p.podDir, app), `${new Date().toISOString()}\n`);
  await start(p.runtime, id);
}

/** The app's container has a live process (created, or started and not yet exited). */
const containerAlive = (p: RuncPod, app: string) => alive(readNumber(containerPidFile(bundleDir(p.podDir, app))));

export function appRunning(p: RuncPod, app: string): boolean {
  return existsSync(pod.appStarted(p.podDir, app)) && !existsSync(pod.appExitStatus(p.podDir, app)) && containerAlive(p, app);
}

/** Until the app's exit file is written, or nobody is left to write it (its conmon was killed). */
async function appEnded(p: RuncPod, app: string, deadline: number): Promise<boolean> {
  const dir = bundleDir(p.podDir, app);
  const pause = backoff();
  while (Date.now() < deadline) {
    if (existsSync(pod.appExitStatus(p.podDir, app))) return true;
    if (!alive(readNumber(containerPidFile(dir))) && !alive(readNumber(monitorPidFile(dir)))) return true;
    await pause();
  }
  return false;
}

/** SIGTERM, SIGKILL after STOP_TIMEOUT_MS (at once with force); returns once the app's exit is recorded. */
export async function stopApp(p: RuncPod, app: string, force: boolean): Promise<void> {
  if (!containerAlive(p, app)) return;
  const id = containerId(p.uuid, app);
  if (!force) {
    kill(p.runtime, id, 'TERM');
    if (await appEnded(p, app, Date.now() + STOP_TIMEOUT_MS)) return;
  }
  kill(p.runtime, id, 'KILL');
  await appEnded(p, app, Date.now() + STOP_TIMEOUT_MS);
}

/** How long a forced stop waits for the apps' exit commands before it kills them too. */
const FORCED_END_MS = 2_000;

/** Stop every app, then the sandbox; returns when nothing of the pod is left running. */
export async function stopPod(p: RuncPod, force: boolean): Promise<void> {
  writeFileSync(runcFiles.stopping(p.podDir), '');
  await Promise.all(p.manifest.apps.map((a) => stopApp(p, a.name, force)));
  kill(p.runtime, sandboxId(p.uuid), 'KILL');
  // Left after that: the apps' exit commands, and whatever a start cut short (a conmon still creating).
  await podEnded(p, Date.now() + (force ? FORCED_END_MS : STOP_TIMEOUT_MS));
  signalAll(podProcesses(p.uuid), 'SIGKILL');
  await podEnded(p);
}

/** The pod's monitor has exited and its cgroup is empty (exit commands included). */
export async function podEnded(p: RuncPod, deadline = Infinity, tick?: () => void): Promise<boolean> {
  const pause = backoff();
  const monitor = monitorPid(p);
  for (;;) {
    tick?.();
    if (!alive(monitor) && podProcesses(p.uuid).length === 0) return true;
    if (Date.now() > deadline) return false;
    await pause();
  }
}

/** Record a failure of the pod's own (an app that could not start), unless an app failed first. */
export function recordFailure(podDir: string, code: number): void {
  try {
    writeFileSync(runcFiles.firstFailure(podDir), `${code}\n`, { flag: 'wx' });
  } catch {
    // an earlier failure stands
  }
}

/** The pod's exit code: the first failing app's, else the only app's, else 0. */
export function podExitCode(p: RuncPod): number {
  const first = readNumber(runcFiles.firstFailure(p.podDir));
  if (first !== undefined) return first;
  const apps = readPodManifest(p.podDir).apps;
  return apps.length === 1 ? (readAppExitStatus(p.podDir, apps[0]!.name) ?? 0) : 0;
}
