import type { Rpc } from './types.js';

/**
 * The cgroup driver the kubelet should match (KubeletCgroupDriverFromCRI): podstage writes its
 * pods' cgroups itself on the cgroup v1 hierarchies (`podstage/<uuid>`), never through systemd.
 */
export const RuntimeConfig: Rpc = async () => ({ linux: { cgroup_driver: 'CGROUPFS' } });
