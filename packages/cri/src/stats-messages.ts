/**
 * ContainerStats and PodSandboxStats from the cgroups (stats.ts); an app whose
 * cgroup is not on the host (kvm: in the guest) from what its stage1 measures.
 */
import { appCgroupOf, podCgroupOf, type AppUsage } from '@podstage/contract';
import { appUsage } from '@podstage/runtime';
import type { CriContext } from './context.js';
import { readPodNetwork } from '@podstage/net/state';
import { containerMetadata, sandboxMetadata } from './messages-out.js';
import { containersOf, type Container, type Sandbox } from './state.js';
import { nowNanos } from '@podstage/grpc';
import { cpuFromNanos, cpuUsage, memoryFromUsage, memoryUsage, networkUsage, processUsage } from './stats.js';

/** The usage of the running containers whose stage1 measures it (a container whose figures cannot be had gets none). */
export async function stage1Usages(ctx: CriContext, containers: Container[]): Promise<Map<string, AppUsage>> {
  const out = new Map<string, AppUsage>();
  await Promise.all(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map(async (c) => {
    const usage = await appUsage(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, c.app.name).catch(() => undefined);
    if (usage !== undefined) out.set(c.id, usage);
  }));
  return out;
}

export function containerStats(c: Container, now: bigint, usage?: AppUsage) {
  const cgroup = appCgroupOf(c.sandbox.ref.path, c.app.name);
  const running = c.state === 'CONTAINER_RUNNING';
  return {
    attributes: { id: c.id, metadata: containerMetadata(c), labels: c.record.labels, annotations: c.record.annotations },
    cpu: !running ? null : usage !== undefined ? cpuFromNanos(c.id, BigInt(usage.cpuNanos), now) : cpuUsage(cgroup, now),
    memory: !running ? null : usage !== undefined ? memoryFromUsage(usage, now) : memoryUsage(cgroup, now),
    writable_layer: null,
    swap: null,
    io: null,
  };
}

export function podSandboxStats(s: Sandbox, containers: Container[], now: bigint, usages = new Map<string, AppUsage>()) {
  const cgroup = podCgroupOf(s.ref.path);
  return {
    attributes: { id: s.ref.uuid, metadata: sandboxMetadata(s), labels: s.record.labels, annotations: s.record.annotations },
    linux: {
      cpu: s.ready ? cpuUsage(cgroup, now) : null,
      memory: s.ready ? memoryUsage(cgroup, now) : null,
      network: s.ready ? networkUsage(readPodNetwork(s.ref.path)?.netns, now) : null,
      process: s.ready ? processUsage(cgroup, now) : null,
      containers: containers.map((c) => containerStats(c, now, usages.get(c.id))),
      io: null,
    },
    windows: null,
  };
}

export type PodSandboxStatsMessage = ReturnType<typeof podSandboxStats>;

/** The sandboxes' stats at one instant, their containers' usage read from the stage1s that measure it. */
export async function sandboxesStats(ctx: CriContext, sandboxes: Sandbox[]): Promise<PodSandboxStatsMessage[]> {
  const containers = sandboxes.flatMap(containersOf);
  const usages = await stage1Usages(ctx, containers);
  const now = nowNanos();
  return sandboxes.map((s) => podSandboxStats(s, containers.filter((c) => c.sandbox.ref.uuid === s.ref.uuid), now, usages));
}
