import { container, labelsMatch } from '../messages-out.js';
import { listContainers } from '../state.js';
import type { Rpc } from './types.js';

interface Filter { id: string; state: { state: string } | null; pod_sandbox_id: string; label_selector: Record<string, string> }

export const ListContainers: Rpc = async (ctx, req: { filter: Filter | null }) => {
  const f = req.filter;
  const containers = listContainers(ctx.dataDir).map(container).filter((c) => f === null
    || ((f.id === '' || c.id.startsWith(f.id)) && (f.pod_sandbox_id === '' || c.pod_sandbox_id.startsWith(f.pod_sandbox_id))
      && (f.state === null || f.state.state === c.state) && labelsMatch(c.labels, f.label_selector)));
  return { containers };
};
