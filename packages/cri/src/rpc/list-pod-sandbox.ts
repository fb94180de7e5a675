import { listSandboxes } from '../state.js';
import { labelsMatch, podSandbox } from '../messages-out.js';
import type { Rpc } from './types.js';

interface Filter { id: string; state: { state: string } | null; label_selector: Record<string, string> }

export const ListPodSandbox: Rpc = async (ctx, req: { filter: Filter | null }) => {
  const f = req.filter;
  const items = listSandboxes(ctx.dataDir).map(podSandbox).filter((s) => f === null
    || ((f.id === '' || s.id.startsWith(f.id)) && (f.state === null || f.state.state === s.state) && labelsMatch(s.labels, f.label_selector)));
  return { items };
};
