/**
 * Pod and app cgroups on the cgroup v1 hierarchies (this host's cgroup2 mount
 * has no usable controllers). Layout, per controller:
 *   /sys/fs/cgroup/<ctrl>/podstage/<uuid>/             the pod: its isolator process(es)
 *   /sys/fs/cgroup/<ctrl>/podstage/<uuid>/apps/<app>/  one app, with the app's limits
 * Paths are always absolute and computed here: runtimes never guess them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cpuLimitMillis, cpuRequestMillis, memoryLimitBytes, PodstageError, type EffectiveIsolators,
} from '@podstage/contract';
import { ALLOWED_DEVICES, devicesV1Rule } from './devices.js';
import { signalAll, terminate } from './terminate.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';
/** Hierarchies a pod gets a cgroup in; `systemd` is the name=systemd one nspawn needs. */
export const POD_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'systemd'] as const;
export type Controller = (typeof POD_CONTROLLERS)[number];

export const CPU_PERIOD_US = 100_000;

export const podCgroup = (uuid: string) => `podstage/${uuid}`;
export const appCgroup = (uuid: string, app: string) => `podstage/${uuid}/apps/${app}`;
export const cgroupDir = (controller: Controller, rel: string, root = CGROUP_ROOT) => join(root, controller, rel);

export interface CgroupLimits {
  memoryBytes?: number;
  cpuQuotaUs?: number;
  cpuShares?: number;
}

/** The cgroup files an app's isolators become (pure). */
export function cgroupLimits(iso: EffectiveIsolators): CgroupLimits {
  const out: CgroupLimits = {};
  const mem = memoryLimitBytes(iso);
  if (mem !== undefined) out.memoryBytes = mem;
  const limit = cpuLimitMillis(iso);
  if (limit !== undefined) out.cpuQuotaUs = Math.max(1000, Math.round((limit * CPU_PERIOD_US) / 1000));
  const request = cpuRequestMillis(iso);
  if (request !== undefined) out.cpuShares = Math.max(2, Math.round((request * 1024) / 1000));
  return out;
}

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
  if (limits.memoryBytes !== undefined) write(join(cgroupDir('memory', rel, root), 'memory.limit_in_bytes'), limits.memoryBytes);
  if (limits.cpuQuotaUs !== undefined) {
    write(join(cgroupDir('cpu', rel, root), 'cpu.cfs_period_us'), CPU_PERIOD_US);
    write(join(cgroupDir('cpu', rel, root), 'cpu.cfs_quota_us'), limits.cpuQuotaUs);
  }
  if (limits.cpuShares !== undefined) write(join(cgroupDir('cpu', rel, root), 'cpu.shares'), limits.cpuShares);
}

/**
 * Put the caller in `rel` on the devices hierarchy, limited to ALLOWED_DEVICES. For stage1s that
 * run the apps' processes themselves (runc applies the same rules per container). Never bound into
 * a pod: a process there could widen its own rules.
 */
export function joinDevicesCgroup(rel: string, root = CGROUP_ROOT): void {
  const dir = join(root, 'devices', rel);
  if (!existsSync(join(root, 'devices', 'devices.allow'))) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `${join(root, 'devices')}: the cgroup v1 devices controller is not mounted`, {
      hint: 'podstage limits the devices apps may open through it',
    });
  }
  mkdirSync(dir, { recursive: true });
  write(join(dir, 'devices.deny'), 'a');
  for (const rule of ALLOWED_DEVICES) write(join(dir, 'devices.allow'), devicesV1Rule(rule));
  write(join(dir, 'cgroup.procs'), 0);
}

/** Move `pid` into the cgroup on every hierarchy (0 = the caller). */
export function joinCgroup(rel: string, pid = 0, root = CGROUP_ROOT, controllers: readonly Controller[] = POD_CONTROLLERS): void {
  for (const c of controllers) {
    const dir = cgroupDir(c, rel, root);
    if (existsSync(dir)) write(join(dir, 'cgroup.procs'), pid);
  }
}

function pidsIn(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string) => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l !== '') out.push(Number(l));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      // gone meanwhile
    }
  };
  walk(dir);
  return out;
}

function removeTree(dir: string): boolean {
  if (!existsSync(dir)) return true;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name));
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** Every hierarchy mounted under the root, the cgroup2 `unified` one too: an OCI runtime may use all of them. */
function hierarchies(root: string): string[] {
  return readdirSync(root).filter((h) => existsSync(join(root, h, 'cgroup.procs')));
}

/** The processes in the pod's cgroups, on every hierarchy (zombies are not listed). */
export function podProcesses(uuid: string, root = CGROUP_ROOT): number[] {
  return [...new Set(hierarchies(root).flatMap((h) => pidsIn(join(root, h, podCgroup(uuid)))))];
}

/**
 * Stop a pod through its cgroups alone, for a pod whose monitor is gone (ABI.md, Lifecycle):
 * SIGTERM to every process, SIGKILL to what is left after the grace period (at once with
 * `force`); returns when no process is left.
 */
export async function stopPodProcesses(uuid: string, { force = false, root = CGROUP_ROOT } = {}): Promise<void> {
  await terminate(() => podProcesses(uuid, root), { force, owner: `pod ${uuid}` });
}

/** Kill what is left in the pod's cgroups and remove them; waits for the kernel (and PID 1's slow reaping). */
export async function removePodCgroups(uuid: string, root = CGROUP_ROOT, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signalAll(podProcesses(uuid, root), 'SIGKILL');
    let left = false;
    for (const c of hierarchies(root)) if (!removeTree(join(root, c, podCgroup(uuid)))) left = true;
    if (!left) return;
    if (Date.now() > deadline) {
      throw new PodstageError('ERR_PODSTAGE_HOST', `cgroups of pod ${uuid} are still busy after ${timeoutMs} ms`, { hint: 'run podstage gc again' });
    }
    await sleep(50);
  }
}
