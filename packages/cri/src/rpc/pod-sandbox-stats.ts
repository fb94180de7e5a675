import { nowNanos } from '@podstage/grpc';
import { podSandboxStats, stage1Usages } from '../stats-messages.js';
import { containersOf, requireSandbox } from '../state.js';
import type { Rpc } from './types.js';

export const PodSandboxStats: Rpc = async (ctx, req: { pod_sandbox_id: string }) => {
  const s = requireSandbox(ctx.dataDir, req.pod_sandbox_id);
  const containers = containersOf(s);
  const usages = await stage1Usages(ctx, containers);
  return { stats: podSandboxStats(s, containers, nowNanos(), usages) };
};
