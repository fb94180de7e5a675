import { removePod, stopPod } from '@podstage/runtime';
import { findSandbox } from '../state.js';
import { removeContainerLogs } from '../logs.js';
import type { Rpc } from './types.js';

/** Force-stops what still runs and removes the pod with its containers; a missing sandbox is no error. */
export const RemovePodSandbox: Rpc = async (ctx, req: { pod_sandbox_id: string }) => {
  const sandbox = findSandbox(ctx.dataDir, req.pod_sandbox_id);
  if (sandbox === undefined) return {};
  if (sandbox.ready) await stopPod(ctx.dataDir, ctx.stage1s, sandbox.ref.uuid, { force: true });
  removeContainerLogs(sandbox);
  await removePod(ctx.dataDir, ctx.stage1s, sandbox.ref.uuid);
  return {};
};
