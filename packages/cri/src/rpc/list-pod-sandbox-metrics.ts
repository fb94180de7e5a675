import { podSandboxMetrics } from '../metrics.js';
import { sandboxesStats } from '../stats-messages.js';
import { containersOf, listSandboxes } from '../state.js';
import type { Rpc } from './types.js';

/** Every ready sandbox's metrics and its containers', measured now (the kubelet's CRI metrics collector). */
export const ListPodSandboxMetrics: Rpc = async (ctx) => {
  const sandboxes = listSandboxes(ctx.dataDir).filter((s) => s.ready);
  const images = new Map(sandboxes.flatMap(containersOf).map((c) => [c.id, c.record.image]));
  return { pod_metrics: (await sandboxesStats(ctx, sandboxes)).map((s) => podSandboxMetrics(s, images)) };
};
