/**
 * The runc pod's process on the host (the stage1's shim, like conmon or
 * containerd-shim): starts the sandbox container that holds the pod's
 * namespaces, runs each app as a container joining them through `runc run`,
 * and keeps the pod lock, logs and exit statuses through the shared
 * PodSupervisor until the pod ends.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  pod, readPodManifest, readPodOptions, writeFileAtomic, writePidFile, type PodOptions, type RunOptions,
} from '@podstage/contract';
import { createCgroup, joinCgroup, mountAppRootfs, PodSupervisor, planApp, podCgroup, unmountAppRootfs, type AppLauncher } from '@podstage/stage1-common';
import { sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';
import { containerId, kill, podRuntime, remove, runContainer, runDetached, sandboxId, type RuntimeName } from './runtime.js';
import { mountPodShm, unmountPodShm } from './pod-shm.js';
import { appConfig, SANDBOX_BUSYBOX, sandboxConfig, type AppContext } from './translate.js';

export const PAUSE_BINARY = '/bin/busybox';
export const bundleDir = (podDir: string, app: string) => join(podDir, 'stage1', 'bundles', app);

function writeBundle(dir: string, config: object): string {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return dir;
}

function startSandbox(o: RunOptions, options: PodOptions, runtime: RuntimeName): number {
  const dir = bundleDir(o.podDir, 'sandbox');
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  const pause = join(dir, 'rootfs', SANDBOX_BUSYBOX);
  if (!existsSync(pause)) copyFileSync(PAUSE_BINARY, pause);
  writeBundle(dir, sandboxConfig({ uuid: o.uuid, rootfs: join(dir, 'rootfs'), net: options.net === 'none' ? 'none' : 'host', insecureOptions: options.insecureOptions }));
  return runDetached(runtime, dir, sandboxId(o.uuid));
}

/** SIGKILL, then delete: runc's `delete --force` of a running container sleeps 100 ms after its own SIGKILL. */
function stopSandbox(runtime: RuntimeName, uuid: string): void {
  kill(runtime, sandboxId(uuid), 'KILL');
  remove(runtime, sandboxId(uuid));
}

export { SHARE_PID_ANNOTATION, sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';

/** This process's own limits, which an app may not exceed here (no CAP_SYS_RESOURCE). */
export function runtimeLimits(): Pick<AppContext, 'minOomScoreAdj' | 'maxOpenFiles'> {
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return {
    minOomScoreAdj: Number.parseInt(readFileSync('/proc/self/oom_score_adj', 'utf8'), 10),
    maxOpenFiles: hard === undefined || hard === 'unlimited' ? 1_048_576 : Number(hard),
  };
}

export async function runPodProcess(o: RunOptions): Promise<never> {
  const options = readPodOptions(o.podDir);
  writePidFile(o.podDir, process.pid);
  writeFileAtomic(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  const runtime = podRuntime(options.ociRuntime, readPodManifest(o.podDir).annotations);
  // This process and the runtime's (`runc run` per app) live in the pod's cgroup next to the
  // containers': if this process is killed, the pod's cgroup still holds all that is left of it.
  createCgroup(podCgroup(o.uuid));
  joinCgroup(podCgroup(o.uuid));
  const shm = mountPodShm(o.podDir);
  const sandboxPid = startSandbox(o, options, runtime);
  const ctx: AppContext = {
    uuid: o.uuid, sandboxPid, sharePid: sharesPidNamespace(readPodManifest(o.podDir)), shm, insecureOptions: options.insecureOptions, ...runtimeLimits(),
  };
  const launcher: AppLauncher = {
    start(app, { interactive }) {
      const plan = planApp(o.podDir, readPodManifest(o.podDir), app, options.insecureOptions);
      mountAppRootfs(o.podDir, app);
      const dir = writeBundle(bundleDir(o.podDir, app), appConfig(plan, ctx));
      return runContainer(runtime, dir, containerId(o.uuid, app), interactive);
    },
    signal(app, _child, signal) {
      kill(runtime, containerId(o.uuid, app), signal);
    },
    async cleanUp(app) {
      remove(runtime, containerId(o.uuid, app));
      unmountAppRootfs(o.podDir, app);
    },
  };
  const supervisor = new PodSupervisor(o.podDir, options, launcher, (code) => {
    stopSandbox(runtime, o.uuid);
    unmountPodShm(o.podDir);
    process.exit(code);
  });
  await supervisor.begin('runc');
  return new Promise<never>(() => {});
}

