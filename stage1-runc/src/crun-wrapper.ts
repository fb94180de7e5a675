/**
 * crun refuses this host's hybrid cgroup layout ("cgroups in hybrid mode not
 * supported") unless the cgroup2 mount is out of sight (HOST-NOTES): run it
 * in a private mount namespace without /sys/fs/cgroup/unified.
 * argv: the crun arguments. Sync calls only, then exec in place.
 */
import { existsSync } from 'node:fs';
import { CLONE_NEWNS, MNT_DETACH, mount, MS_PRIVATE, MS_REC, umount, unshare } from '@podstage/linux';
import { execve } from '@podstage/stage1-common';

export const CRUN = '/usr/bin/crun';
const UNIFIED = '/sys/fs/cgroup/unified';

unshare(CLONE_NEWNS);
mount(null, '/', null, MS_REC | MS_PRIVATE);
if (existsSync(`${UNIFIED}/cgroup.procs`)) umount(UNIFIED, MNT_DETACH);
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
execve(CRUN, [CRUN, ...process.argv.slice(2)], env);
