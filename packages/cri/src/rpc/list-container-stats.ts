import { labelsMatch } from '../messages-out.js';
import { nowNanos } from '@podstage/grpc';
import { containerStats, stage1Usages } from '../stats-messages.js';
import { listContainers } from '../state.js';
import type { Rpc } from './types.js';

interface Filter { id: string; pod_sandbox_id: string; label_selector: Record<string, string> }

export const ListContainerStats: Rpc = async (ctx, req: { filter: Filter | null }) => {
  const f = req.filter;
  const containers = listContainers(ctx.dataDir).filter((c) => f === null
    || ((f.id === '' || c.id.startsWith(f.id)) && (f.pod_sandbox_id === '' || c.sandbox.ref.uuid.startsWith(f.pod_sandbox_id)) && labelsMatch(c.record.labels, f.label_selector)));
  const usages = await stage1Usages(ctx, containers);
  const now = nowNanos();
  return { stats: containers.map((c) => containerStats(c, now, usages.get(c.id))) };
};
