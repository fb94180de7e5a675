import { readPodNetwork } from '@podstage/net/state';
import { nowNanos } from '@podstage/grpc';
import { hostCgroupOf, podSandboxMetrics } from '../metrics.js';
import { stage1Usages } from '../stats-messages.js';
import { netDevCounters } from '../stats.js';
import { containersOf, listSandboxes } from '../state.js';
import type { Rpc } from './types.js';

/** Every ready sandbox's metrics and its running containers', measured now (the kubelet's CRI metrics collector). */
export const ListPodSandboxMetrics: Rpc = async (ctx) => {
  const sandboxes = listSandboxes(ctx.dataDir).filter((s) => s.ready);
  const containers = sandboxes.flatMap(containersOf);
  const usages = await stage1Usages(ctx, containers.filter((c) => hostCgroupOf(c) === undefined));
  const now = nowNanos();
  return {
    pod_metrics: sandboxes.map((s) => podSandboxMetrics(
      s, containers.filter((c) => c.sandbox.ref.uuid === s.ref.uuid), usages, netDevCounters(readPodNetwork(s.ref.path)?.netns) ?? [], now,
    )),
  };
};
