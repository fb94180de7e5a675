/**
 * The processes of a pod, found through its cgroups on every hierarchy (the
 * layout is contract's podCgroup, under the pod's cgroup parent if it has one):
 * what shows whether a pod still runs, and how a pod whose monitor is gone is
 * stopped (ABI.md, Lifecycle).
 */
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { podCgroupOf } from '@podstage/contract';
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

/** The processes in the cgroup at `relative` and below it, on every hierarchy (zombies are not listed). */
export function cgroupProcesses(relative: string, root = CGROUP_ROOT): number[] {
  return [...new Set(cgroupHierarchies(root).flatMap((h) => pidsIn(join(root, h, relative))))];
}

/** The processes in the cgroups of the pod at `podDir`, on every hierarchy (zombies are not listed). */
export const podProcesses = (podDir: string, root = CGROUP_ROOT): number[] => cgroupProcesses(podCgroupOf(podDir), root);

/** Remove the cgroup `dir` and those below it, deepest first (only empty cgroups go); whether none is left. */
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

/** Remove the cgroup at `relative` with those below it on every hierarchy; whether none is left (a busy one stays). */
export function removeCgroupTrees(relative: string, root = CGROUP_ROOT): boolean {
  let gone = true;
  for (const h of cgroupHierarchies(root)) if (!removeTree(join(root, h, relative))) gone = false;
  return gone;
}

/**
 * Stop a pod through its cgroups alone, for a pod whose monitor is gone (ABI.md, Lifecycle):
 * SIGTERM to every process, SIGKILL to what is left after the grace period (at once with
 * `force`); returns when no process is left.
 */
export async function stopPodProcesses(podDir: string, { force = false, root = CGROUP_ROOT } = {}): Promise<void> {
  const cgroup = podCgroupOf(podDir);
  await terminate(() => cgroupProcesses(cgroup, root), { force, owner: `pod ${basename(podDir)}` });
}
