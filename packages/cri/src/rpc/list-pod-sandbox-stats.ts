import { labelsMatch } from '../messages-out.js';
import { nowNanos } from '@podstage/grpc';
import { podSandboxStats, stage1Usages } from '../stats-messages.js';
import { containersOf, listSandboxes } from '../state.js';
import type { Rpc } from './types.js';

interface Filter { id: string; label_selector: Record<string, string> }

export const ListPodSandboxStats: Rpc = async (ctx, req: { filter: Filter | null }) => {
  const f = req.filter;
  const sandboxes = listSandboxes(ctx.dataDir).filter((s) => f === null || ((f.id === '' || s.ref.uuid.startsWith(f.id)) && labelsMatch(s.record.labels, f.label_selector)));
  const containers = sandboxes.flatMap(containersOf);
  const usages = await stage1Usages(ctx, containers);
  const now = nowNanos();
  const stats = sandboxes.map((s) => podSandboxStats(s, containers.filter((c) => c.sandbox.ref.uuid === s.ref.uuid), now, usages));
  return { stats };
};
