import { nowNanos } from '@podstage/grpc';
import { podSandboxStats, stage1Usages } from '../stats-messages.js';
import { listContainers, requireSandbox } from '../state.js';
import type { Rpc } from './types.js';

export const PodSandboxStats: Rpc = async (ctx, req: { pod_sandbox_id: string }) => {
  const s = requireSandbox(ctx.dataDir, req.pod_sandbox_id);
  const containers = listContainers(ctx.dataDir).filter((c) => c.sandbox.ref.uuid === s.ref.uuid);
  const usages = await stage1Usages(ctx, containers);
  return { stats: podSandboxStats(s, containers, nowNanos(), usages) };
};
