/**
 * Pod and app cgroups on the cgroup v1 hierarchies (this host's cgroup2 mount
 * has no usable controllers). Layout, per controller:
 *   /sys/fs/cgroup/<ctrl>/podstage/<uuid>/             the pod: its isolator process(es)
 *   /sys/fs/cgroup/<ctrl>/podstage/<uuid>/apps/<app>/  one app, with the app's limits
 * or, under a cgroup parent (the kubelet's pod cgroup), <parent>/podstage-<uuid>/ instead.
 * Paths are always absolute and computed here: runtimes never guess them.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cgroupLimitFiles, podCgroupOf, PodstageError, type CgroupLimits } from '@podstage/contract';
import { ALLOWED_DEVICES, devicesV1Rule } from './devices.js';
import { shellCommand } from './shell.js';
import { backoff, CGROUP_ROOT, cgroupProcesses, removeCgroupTrees, signalAll } from '@podstage/linux';

/** Hierarchies a pod gets a cgroup in; `systemd` is the name=systemd one nspawn needs. */
export const POD_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'systemd'] as const;
export type Controller = (typeof POD_CONTROLLERS)[number];

export { appCgroup, cgroupLimits, CPU_PERIOD_US, podCgroup, podCgroupOf, type CgroupLimits } from '@podstage/contract';
export { CGROUP_ROOT, cgroupProcesses, podProcesses, stopPodProcesses } from '@podstage/linux';
export const cgroupDir = (controller: Controller, rel: string, root = CGROUP_ROOT) => join(root, controller, rel);

export function available(controller: Controller, root = CGROUP_ROOT): boolean {
  return existsSync(join(root, controller, 'cgroup.procs'));
}

function write(file: string, value: string | number): void {
  try {
    writeFileSync(file, String(value));
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `write \`${file}\` (${value}): ${(err as NodeJS.ErrnoException).code}`, { cause: err });
  }
}

export function createCgroup(rel: string, limits: CgroupLimits = {}, root = CGROUP_ROOT): void {
  for (const c of POD_CONTROLLERS) {
    if (!available(c, root)) continue;
    mkdirSync(cgroupDir(c, rel, root), { recursive: true });
  }
  for (const f of cgroupLimitFiles(limits)) write(join(cgroupDir(f.controller, rel, root), f.file), f.value);
}

/**
 * `rel` on the devices hierarchy, limited to ALLOWED_DEVICES: for stage1s that run the apps'
 * processes themselves (runc applies the same rules per container). Never bound into a pod:
 * a process there could widen its own rules.
 */
export function limitDevicesCgroup(rel: string, root = CGROUP_ROOT): void {
  const dir = join(root, 'devices', rel);
  if (!existsSync(join(root, 'devices', 'devices.allow'))) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `${join(root, 'devices')}: the cgroup v1 devices controller is not mounted`, {
      hint: 'podstage limits the devices apps may open through it',
    });
  }
  mkdirSync(dir, { recursive: true });
  write(join(dir, 'devices.deny'), 'a');
  for (const rule of ALLOWED_DEVICES) write(join(dir, 'devices.allow'), devicesV1Rule(rule));
}

/** Move `pid` into the cgroup on every hierarchy (0 = the caller). */
export function joinCgroup(rel: string, pid = 0, root = CGROUP_ROOT, controllers: readonly Controller[] = POD_CONTROLLERS): void {
  for (const c of controllers) {
    const dir = cgroupDir(c, rel, root);
    if (existsSync(dir)) write(join(dir, 'cgroup.procs'), pid);
  }
}

/**
 * Kill what is left in the cgroups of the pod at `podDir` and remove them (never its cgroup
 * parent, which is the kubelet's); waits for the kernel (and PID 1's slow reaping).
 */
export async function removePodCgroups(podDir: string, root = CGROUP_ROOT, timeoutMs = 5_000): Promise<void> {
  const cgroup = podCgroupOf(podDir);
  const deadline = Date.now() + timeoutMs;
  const pause = backoff();
  for (;;) {
    signalAll(cgroupProcesses(cgroup, root), 'SIGKILL');
    if (removeCgroupTrees(cgroup, root)) return;
    if (Date.now() > deadline) {
      throw new PodstageError('ERR_PODSTAGE_HOST', `cgroups of pod ${basename(podDir)} are still busy after ${timeoutMs} ms`, { hint: 'run podstage gc again' });
    }
    await pause();
  }
}

/**
 * A command-line prefix that puts the command in the cgroup on every hierarchy
 * before it runs: for host processes started into a pod (a monitor such as
 * conmon) from a process that stays outside it.
 */
export function inCgroupArgv(rel: string, root = CGROUP_ROOT): string[] {
  const procs = POD_CONTROLLERS.map((c) => join(cgroupDir(c, rel, root), 'cgroup.procs')).filter((f) => existsSync(f));
  return ['/bin/sh', '-c', `for f in ${shellCommand(procs)}; do echo $$ > "$f" || exit 125; done; exec "$0" "$@"`];
}
