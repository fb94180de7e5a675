/** run, stop and the app-* entrypoints of a stage1 whose pods run under conmon, given its driver. */
import { closeSync, existsSync, writeFileSync } from 'node:fs';
import { pod, PodstageError, writePidFile, type AppOptions, type RunOptions, type StopOptions } from '@podstage/contract';
import { createCgroup } from '../cgroups.js';
import { CriLogTee } from '../cri-log.js';
import {
  appRunning, containerId, createSandbox, loadPod, monitoredFiles, monitoredPodCgroup, podEnded, podExitCode, recordFailure, removeContainer, startApp, startSandbox, stopApp, stopPod,
  type MonitoredPod, type PodDriver,
} from './pod.js';

/** What an app that could not even be started makes the pod exit with. */
const START_FAILED = 254;
/** What a pod stopped before its apps all ran exits with: killed by SIGTERM, as a stopped app. */
const STOPPED_WHILE_STARTING = 128 + 15;

export class StoppedWhileStarting extends PodstageError {
  constructor(uuid: string) {
    super('ERR_PODSTAGE_POD_STATE', `pod ${uuid} was stopped while it started`);
  }
}

/**
 * Start the pod: the sandbox created under the conmon that takes over the pod
 * lock, then, side by side, its start and every app under a conmon of its own.
 * Returns the monitor's pid once every app runs; an app that cannot start ends
 * the pod (254) and is thrown.
 */
export async function startMonitoredPod(o: RunOptions, driver: PodDriver): Promise<{ pod: MonitoredPod; monitorPid: number }> {
  const p = loadPod(o.uuid, o.podDir, driver);
  writeFileSync(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  createCgroup(monitoredPodCgroup(p));
  let monitorPid: number;
  try {
    // From here conmon holds the lock. A detached start lets go of its own copy whatever happens (a
    // long-lived caller must not keep it); the foreground run keeps it until it has read the pod's exit
    // code, so no gc collects the pod in between.
    monitorPid = (await createSandbox(p, o.lockFd).finally(() => {
      if (o.detach === true) closeSync(o.lockFd);
    })).monitorPid;
    const { interactive } = o;
    await Promise.all([startSandbox(p), ...p.manifest.apps.map((app) => startApp(p, app.name, { interactive }))]);
    writePidFile(o.podDir, monitorPid);
  } catch (err) {
    // A stop that came while the pod started (a kvm guest boots for seconds) is why it failed.
    const stopped = existsSync(monitoredFiles.stopping(o.podDir));
    recordFailure(o.podDir, stopped ? STOPPED_WHILE_STARTING : START_FAILED);
    await stopPod(p, true);
    throw stopped ? new StoppedWhileStarting(o.uuid) : err;
  }
  if (p.manifest.apps.length === 0 && !o.mutable) await stopPod(p, false);
  return { pod: p, monitorPid };
}

/**
 * The run entrypoint: startMonitoredPod, then either return (ABI 2 `--detach`) or stay in
 * the foreground as the user's end of the pod, like `podman run`: copy the apps' logs to
 * stdout and stderr, turn SIGINT/SIGTERM/SIGHUP into a stop, exit with the pod's code.
 * Killing it leaves the pod running.
 */
export async function runMonitoredPod(o: RunOptions, driver: PodDriver, stage1: string): Promise<never> {
  let started: MonitoredPod;
  try {
    started = (await startMonitoredPod(o, driver)).pod;
  } catch (err) {
    if (err instanceof StoppedWhileStarting) process.exit(STOPPED_WHILE_STARTING);
    const hint = (err as { hint?: string }).hint;
    process.stderr.write(`stage1 ${stage1}: ${(err as Error).message}${hint ? `; ${hint}` : ''}\n`);
    process.exit(START_FAILED);
  }
  if (o.detach === true) process.exit(0);
  return foreground(started);
}

async function foreground(p: MonitoredPod): Promise<never> {
  const tee = new CriLogTee({ stdout: p.options.stdout ?? 'stream', stderr: p.options.stderr ?? 'stream' });
  for (const app of p.manifest.apps) tee.follow(pod.appLog(p.podDir, app.name));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stopPod(loadPod(p.uuid, p.podDir, p.driver), false));
  await podEnded(p, Infinity, () => tee.poll());
  tee.poll();
  tee.close();
  process.exit(podExitCode(p));
}

/** The stop and app-* entrypoints for `driver`. */
export function monitoredEntrypoints(driver: PodDriver) {
  const load = (o: { uuid: string; podDir: string }) => loadPod(o.uuid, o.podDir, driver);
  return {
    async stop(o: StopOptions): Promise<void> {
      await stopPod(load(o), o.force);
    },
    /** The app is already in the pod manifest (stage0 added it, and removes it again if this refuses it). */
    async appAdd(o: AppOptions): Promise<void> {
      driver.check?.(load(o));
    },
    async appStart(o: AppOptions): Promise<void> {
      const p = load(o);
      if (appRunning(p, o.app)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} is already running`);
      await startApp(p, o.app);
    },
    async appStop(o: AppOptions): Promise<void> {
      await stopApp(load(o), o.app, o.force, o.gracePeriodSeconds === undefined ? undefined : o.gracePeriodSeconds * 1000);
    },
    async appRm(o: AppOptions): Promise<void> {
      const p = load(o);
      if (appRunning(p, o.app)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} is running: stop it first`);
      removeContainer(p, containerId(o.uuid, o.app));
      driver.appRemoved?.(p, o.app);
    },
  };
}
