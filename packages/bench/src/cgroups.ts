/** The cgroups the bench's own containers run in (raw OCI baselines, peers): all below /podstage-bench. */
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The parent of every cgroup the bench asks a runtime for, relative to a hierarchy's root. */
export const BENCH_CGROUP = 'podstage-bench';

/** Remove `dir` and the cgroups below it, deepest first (a cgroup's files cannot be unlinked: only empty cgroups go). */
function removeTree(dir: string): void {
  for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) removeTree(join(dir, child.name));
  rmdirSync(dir);
}

/** Remove the cgroup at `relative` with everything below it, in every hierarchy that has it (cgroup v1 and v2). */
export function removeCgroupTree(relative: string): void {
  for (const root of [CGROUP_ROOT, ...readdirSync(CGROUP_ROOT).map((h) => join(CGROUP_ROOT, h))]) {
    try {
      removeTree(join(root, relative));
    } catch {
      // not there, not a hierarchy, or still holding a process
    }
  }
}

/** The processes in the cgroup at `relative` (cgroup v1's pids hierarchy, or v2's); none once it is empty or gone. */
export function cgroupProcs(relative: string): number[] {
  for (const root of [join(CGROUP_ROOT, 'pids'), CGROUP_ROOT]) {
    try {
      return readFileSync(join(root, relative, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      // not this layout, or the cgroup is gone
    }
  }
  return [];
}
