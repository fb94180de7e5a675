import { stopPod } from '@podstage/runtime';
import { findSandbox } from '../state.js';
import type { Rpc } from './types.js';

/**
 * Stops every container and the pod (its network goes with it); a missing or
 * stopped sandbox is no error. Containers still running are killed at once, as
 * containerd does: the kubelet gave them their grace period with StopContainer.
 */
export const StopPodSandbox: Rpc = async (ctx, req: { pod_sandbox_id: string }) => {
  const sandbox = findSandbox(ctx.dataDir, req.pod_sandbox_id);
  if (sandbox?.ready === true) await stopPod(ctx.dataDir, ctx.stage1s, sandbox.ref.uuid, { force: true });
  return {};
};
