import { nowNanos } from '@podstage/grpc';
import { podSandboxMetrics } from '../metrics.js';
import { podSandboxStats, stage1Usages } from '../stats-messages.js';
import { containersOf, listSandboxes } from '../state.js';
import type { Rpc } from './types.js';

/** Every ready sandbox's metrics and its containers', measured now (the kubelet's CRI metrics collector). */
export const ListPodSandboxMetrics: Rpc = async (ctx) => {
  const sandboxes = listSandboxes(ctx.dataDir).filter((s) => s.ready);
  const containers = sandboxes.flatMap(containersOf);
  const usages = await stage1Usages(ctx, containers);
  const images = new Map(containers.map((c) => [c.id, c.record.image]));
  const now = nowNanos();
  const pod_metrics = sandboxes.map((s) => podSandboxMetrics(podSandboxStats(s, containers.filter((c) => c.sandbox.ref.uuid === s.ref.uuid), now, usages), images));
  return { pod_metrics };
};
