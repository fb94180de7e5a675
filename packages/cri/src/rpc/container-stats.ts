import { nowNanos } from '@podstage/grpc';
import { containerStats, stage1Usages } from '../stats-messages.js';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

export const ContainerStats: Rpc = async (ctx, req: { container_id: string }) => {
  const c = requireContainer(ctx.dataDir, req.container_id);
  const usages = await stage1Usages(ctx, [c]);
  return { stats: containerStats(c, nowNanos(), usages.get(c.id)) };
};
