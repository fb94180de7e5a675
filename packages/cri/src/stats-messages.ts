/** ContainerStats and PodSandboxStats from the cgroups (stats.ts); an app whose cgroup is not on the host (kvm: in the guest) has none. */
import { appCgroup, podCgroup } from '@podstage/contract';
import { readPodNetwork } from '@podstage/net/state';
import { containerMetadata, sandboxMetadata } from './messages-out.js';
import type { Container, Sandbox } from './state.js';
import { cpuUsage, memoryUsage, networkUsage, processUsage } from './stats.js';

export function containerStats(c: Container, now: bigint) {
  const cgroup = appCgroup(c.sandbox.ref.uuid, c.app.name);
  const running = c.state === 'CONTAINER_RUNNING';
  return {
    attributes: { id: c.id, metadata: containerMetadata(c), labels: c.record.labels, annotations: c.record.annotations },
    cpu: running ? cpuUsage(cgroup, now) : null,
    memory: running ? memoryUsage(cgroup, now) : null,
    writable_layer: null,
    swap: null,
    io: null,
  };
}

export function podSandboxStats(s: Sandbox, containers: Container[], now: bigint) {
  const cgroup = podCgroup(s.ref.uuid);
  return {
    attributes: { id: s.ref.uuid, metadata: sandboxMetadata(s), labels: s.record.labels, annotations: s.record.annotations },
    linux: {
      cpu: s.ready ? cpuUsage(cgroup, now) : null,
      memory: s.ready ? memoryUsage(cgroup, now) : null,
      network: s.ready ? networkUsage(readPodNetwork(s.ref.path)?.netns, now) : null,
      process: s.ready ? processUsage(cgroup, now) : null,
      containers: containers.map((c) => containerStats(c, now)),
      io: null,
    },
    windows: null,
  };
}
