/**
 * The processes of a pod, found through its cgroups on every hierarchy (the
 * layout is contract's podCgroup): what shows whether a pod still runs, and how
 * a pod whose monitor is gone is stopped (ABI.md, Lifecycle).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { podCgroup } from '@podstage/contract';
import { terminate } from './terminate.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Every process in `dir` and below it. */
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

/** Every hierarchy mounted under the root, the cgroup2 `unified` one too: an OCI runtime may use all of them. */
export function cgroupHierarchies(root: string): string[] {
  return readdirSync(root).filter((h) => existsSync(join(root, h, 'cgroup.procs')));
}

/** The processes in the pod's cgroups, on every hierarchy (zombies are not listed). */
export function podProcesses(uuid: string, root = CGROUP_ROOT): number[] {
  return [...new Set(cgroupHierarchies(root).flatMap((h) => pidsIn(join(root, h, podCgroup(uuid)))))];
}

/**
 * Stop a pod through its cgroups alone, for a pod whose monitor is gone (ABI.md, Lifecycle):
 * SIGTERM to every process, SIGKILL to what is left after the grace period (at once with
 * `force`); returns when no process is left.
 */
export async function stopPodProcesses(uuid: string, { force = false, root = CGROUP_ROOT } = {}): Promise<void> {
  await terminate(() => podProcesses(uuid, root), { force, owner: `pod ${uuid}` });
}
