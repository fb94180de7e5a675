/** Response messages of runtime.v1 built from what state.ts read. */
import { readPodNetwork } from '@podstage/net/state';
import type { Container, Sandbox } from './state.js';
import { containerLogPath } from './logs.js';

export const labelsMatch = (labels: Record<string, string>, selector: Record<string, string>): boolean =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

export function sandboxMetadata(s: Sandbox) {
  const m = s.record.metadata;
  return { name: m.name, uid: m.uid ?? '', namespace: m.namespace ?? '', attempt: m.attempt };
}

export function podSandbox(s: Sandbox) {
  return {
    id: s.ref.uuid, metadata: sandboxMetadata(s), state: s.ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY', created_at: s.createdAt,
    labels: s.record.labels, annotations: s.record.annotations, runtime_handler: s.record.runtimeHandler,
  };
}

export function podSandboxStatus(s: Sandbox) {
  const ips = (readPodNetwork(s.ref.path)?.networks ?? []).flatMap((n) => n.ips.map((cidr) => cidr.split('/')[0] as string));
  return {
    ...podSandbox(s),
    network: { ip: ips[0] ?? '', additional_ips: ips.slice(1).map((ip) => ({ ip })) },
    linux: { namespaces: { options: { network: s.record.network, pid: 'POD', ipc: 'POD', target_id: '' } } },
  };
}

export function containerMetadata(c: Container) {
  return { name: c.record.metadata.name, attempt: c.record.metadata.attempt };
}

export function container(c: Container) {
  return {
    id: c.id, pod_sandbox_id: c.sandbox.ref.uuid, metadata: containerMetadata(c), image: { image: c.record.image }, image_ref: c.app.image.id,
    image_id: c.app.image.id, state: c.state, created_at: c.record.createdAt, labels: c.record.labels, annotations: c.record.annotations,
  };
}

const PROPAGATION = { private: 'PROPAGATION_PRIVATE', rslave: 'PROPAGATION_HOST_TO_CONTAINER', rshared: 'PROPAGATION_BIDIRECTIONAL' } as const;

/** The container's host-path mounts, as CreateContainer asked for them (its app's mounts of the pod's host volumes). */
function containerMounts(c: Container) {
  const volumes = c.sandbox.manifest?.volumes ?? [];
  return (c.app.mounts ?? []).flatMap((m) => {
    const v = volumes.find((x) => x.name === m.volume);
    if (v?.kind !== 'host' || v.source === undefined) return [];
    return [{
      container_path: m.path, host_path: v.source, readonly: m.readOnly === true || v.readOnly === true, selinux_relabel: false,
      propagation: PROPAGATION[v.propagation ?? 'private'], uidMappings: [], gidMappings: [], recursive_read_only: false, image: null, image_sub_path: '',
    }];
  });
}

export function containerStatus(c: Container) {
  const exited = c.state === 'CONTAINER_EXITED';
  return {
    id: c.id, metadata: containerMetadata(c), state: c.state, created_at: c.record.createdAt, started_at: c.startedAt, finished_at: c.finishedAt,
    exit_code: c.exitCode, image: { image: c.record.image }, image_ref: c.app.image.id, image_id: c.app.image.id,
    reason: exited ? (c.oomKilled ? 'OOMKilled' : c.exitCode === 0 ? 'Completed' : 'Error') : '', message: '',
    labels: c.record.labels, annotations: c.record.annotations,
    mounts: containerMounts(c), log_path: containerLogPath(c),
  };
}
