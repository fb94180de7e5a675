/** Pods as v1alpha's Pod message, and PodFilter matching (filters OR'ed, the criteria of one AND'ed). */
import { readFileSync } from 'node:fs';
import { pod, podCgroupOf, readPodManifest, type PodManifest } from '@podstage/contract';
import { isoToNanos } from '@podstage/grpc';
import { readPodNetwork } from '@podstage/net/state';
import { appInfos, podInfo, type PodRef, type PodState } from '@podstage/runtime/status';

const POD_STATE: Record<PodState, string> = {
  embryo: 'POD_STATE_EMBRYO', preparing: 'POD_STATE_PREPARING', prepared: 'POD_STATE_PREPARED', running: 'POD_STATE_RUNNING',
  'aborted-prepare': 'POD_STATE_ABORTED_PREPARE', exited: 'POD_STATE_EXITED', 'exited-garbage': 'POD_STATE_GARBAGE', garbage: 'POD_STATE_GARBAGE',
};

export const keyValues = (pairs: { name: string; value: string }[] | undefined) => (pairs ?? []).map((a) => ({ Key: a.name, value: a.value }));

function manifestOf(ref: PodRef): PodManifest | undefined {
  try {
    return readPodManifest(ref.path);
  } catch {
    return undefined;
  }
}

export interface ApiPod {
  id: string; pid: number; state: string; cgroup: string;
  apps: { name: string; image: { id: string; name: string }; state: string; exit_code: number; annotations: { Key: string; value: string }[] }[];
  networks: { name: string; ipv4: string; ipv6: string }[];
  annotations: { Key: string; value: string }[];
  manifest: Buffer; created_at: string; started_at: string; gc_marked_at: string;
}

export function apiPod(ref: PodRef, detail: boolean): ApiPod {
  const info = podInfo(ref);
  const manifest = manifestOf(ref);
  const apps = manifest === undefined ? [] : appInfos(ref);
  return {
    id: ref.uuid,
    pid: info.pid ?? -1,
    state: POD_STATE[info.state],
    apps: apps.map((a) => {
      const app = manifest!.apps.find((x) => x.name === a.name)!;
      return {
        name: a.name,
        image: { id: app.image.id, name: app.image.name ?? '' },
        state: a.state === 'running' ? 'APP_STATE_RUNNING' : a.state === 'exited' ? 'APP_STATE_EXITED' : 'APP_STATE_UNDEFINED',
        exit_code: a.exitCode ?? -1,
        annotations: keyValues(app.annotations),
      };
    }),
    networks: (readPodNetwork(ref.path)?.networks ?? []).map((n) => {
      const addr = (family: 4 | 6) => n.ips.map((c) => c.split('/')[0] as string).find((ip) => (family === 6) === ip.includes(':')) ?? '';
      return { name: n.network, ipv4: addr(4), ipv6: addr(6) };
    }),
    manifest: detail && manifest !== undefined ? readFileSync(pod.manifest(ref.path)) : Buffer.alloc(0),
    annotations: keyValues(manifest?.annotations),
    cgroup: `/${podCgroupOf(ref.path)}`,
    created_at: isoToNanos(info.createdAt),
    started_at: isoToNanos(info.startedAt),
    gc_marked_at: '0',
  };
}

export interface PodFilter {
  ids: string[]; states: string[]; app_names: string[]; image_ids: string[]; network_names: string[];
  annotations: { Key: string; value: string }[]; cgroups: string[]; pod_sub_cgroups: string[];
}

export function podMatches(p: ApiPod, f: PodFilter): boolean {
  const any = <T>(wanted: T[], test: (w: T) => boolean) => wanted.length === 0 || wanted.some(test);
  return any(f.ids, (id) => p.id === id)
    && any(f.states, (s) => p.state === s)
    && any(f.app_names, (n) => p.apps.some((a) => a.name === n))
    && any(f.image_ids, (id) => p.apps.some((a) => a.image.id === id))
    && any(f.network_names, (n) => p.networks.some((x) => x.name === n))
    && f.annotations.every((kv) => p.annotations.some((a) => a.Key === kv.Key && a.value === kv.value))
    && any(f.cgroups, (c) => p.cgroup === c)
    && any(f.pod_sub_cgroups, (c) => c.startsWith(`${p.cgroup}/`));
}
