import type { Rpc } from './types.js';

/**
 * The kubelet's pod CIDR. podstage's networks come from CNI conflists (the
 * default bridge's subnet, or /etc/cni/net.d), as with CRI-O, so there is
 * nothing to apply.
 */
export const UpdateRuntimeConfig: Rpc = async () => ({});
