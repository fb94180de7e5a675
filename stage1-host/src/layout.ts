/**
 * Where things are inside a stage1-host pod (the container nspawn runs).
 * The pod directory is bound at POD_DIR, so every path the contract computes
 * from a pod directory works inside with podDir = POD_DIR.
 */
import { join } from 'node:path';
import { defaultPodHostname } from '@podstage/contract';

export const POD_DIR = '/pod';
/** Host volumes are bound here, one directory per volume name. */
export const VOLUMES_DIR = '/run/podstage/volumes';
/** The pod's cgroup on each hierarchy, bound writable: apps' cgroups are made below it. */
export const CGROUP_DIR = '/run/podstage/cgroup';
/** rkt's layout: each app's root at /opt/stage2/<app>/rootfs. */
export const STAGE2_DIR = '/opt/stage2';

export const stage1Rootfs = (podDir: string) => join(podDir, 'stage1', 'rootfs');
export const hostVolumeInPod = (v: { name: string }) => join(VOLUMES_DIR, v.name);
export const appCgroupInPod = (app: string) => `apps/${app}`;

/** Container (machine) name of a pod: nspawn also makes it the hostname, the pod's default one. */
export const machineName = defaultPodHostname;
