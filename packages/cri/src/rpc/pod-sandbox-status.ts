import { podInfo } from '@podstage/runtime/status';
import { requireSandbox, stage1Of } from '../state.js';
import { podSandboxStatus } from '../messages-out.js';
import type { Rpc } from './types.js';

/** The sandbox's state, addresses and namespaces; `info.stage1` names the stage1 that runs it, `verbose` adds podstage's own status. */
export const PodSandboxStatus: Rpc = async (ctx, req: { pod_sandbox_id: string; verbose: boolean }) => {
  const sandbox = requireSandbox(ctx.dataDir, req.pod_sandbox_id);
  const info: Record<string, string> = { stage1: stage1Of(sandbox) };
  if (req.verbose) info.info = JSON.stringify(podInfo(sandbox.ref));
  return { status: podSandboxStatus(sandbox), info, containers_statuses: [], timestamp: '0' };
};
