import { sandboxesStats } from '../stats-messages.js';
import { requireSandbox } from '../state.js';
import type { Rpc } from './types.js';

export const PodSandboxStats: Rpc = async (ctx, req: { pod_sandbox_id: string }) => {
  const [stats] = await sandboxesStats(ctx, [requireSandbox(ctx.dataDir, req.pod_sandbox_id)]);
  return { stats };
};
