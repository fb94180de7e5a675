import { labelsMatch } from '../messages-out.js';
import { sandboxesStats } from '../stats-messages.js';
import { listSandboxes } from '../state.js';
import type { Rpc } from './types.js';

interface Filter { id: string; label_selector: Record<string, string> }

export const ListPodSandboxStats: Rpc = async (ctx, req: { filter: Filter | null }) => {
  const f = req.filter;
  const sandboxes = listSandboxes(ctx.dataDir).filter((s) => f === null || ((f.id === '' || s.ref.uuid.startsWith(f.id)) && labelsMatch(s.record.labels, f.label_selector)));
  return { stats: await sandboxesStats(ctx, sandboxes) };
};
