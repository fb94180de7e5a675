import { readPodOptions } from '@podstage/contract';
import { podInfo } from '@podstage/runtime/status';
import { requireSandbox, stage1Of } from '../state.js';
import { podSandboxStatus } from '../messages-out.js';
import type { Rpc } from './types.js';

/**
 * The sandbox's state, addresses and namespaces; `info.stage1` names the stage1 that runs it (and
 * `info.ociRuntime` the OCI runtime it runs, where it was chosen), `verbose` adds podstage's own status.
 */
function ociRuntimeOf(podDir: string): string | undefined {
  try {
    return readPodOptions(podDir).ociRuntime;
  } catch {
    return undefined; // not prepared yet
  }
}

export const PodSandboxStatus: Rpc = async (ctx, req: { pod_sandbox_id: string; verbose: boolean }) => {
  const sandbox = requireSandbox(ctx.dataDir, req.pod_sandbox_id);
  const info: Record<string, string> = { stage1: stage1Of(sandbox) };
  const ociRuntime = ociRuntimeOf(sandbox.ref.path);
  if (ociRuntime !== undefined) info.ociRuntime = ociRuntime;
  if (req.verbose) info.info = JSON.stringify(podInfo(sandbox.ref));
  return { status: podSandboxStatus(sandbox), info, containers_statuses: [], timestamp: '0' };
};
