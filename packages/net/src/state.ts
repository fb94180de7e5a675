/**
 * What a pod's networks are, as attachPod saves them in the pod directory
 * (stage0's own `net/`, out of every pod's reach): read by status without
 * loading the CNI machinery.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortMapping } from '@podstage/contract';
import type { NetworkConfigList } from './conflist.js';

export interface NetworkAttachment {
  network: string;
  ifname: string;
  /** CIDR addresses CNI assigned, e.g. 10.215.0.5/24. */
  ips: string[];
  gateway?: string;
  /** The pod-side interface's MAC address, when the plugin reported it. */
  mac?: string;
}

export interface PodNetwork {
  netns: string;
  networks: NetworkAttachment[];
}

/** What attachPod records before the first plugin runs: all a teardown needs. */
export interface State {
  uuid: string;
  netns: string;
  portMappings: PortMapping[];
  attachments: { conflist: NetworkConfigList; ifname: string }[];
}

export const netStateDir = (podDir: string) => join(podDir, 'net');
export const stateFile = (podDir: string) => join(netStateDir(podDir), 'attachments.json');
export const resultFile = (podDir: string, ifname: string) => join(netStateDir(podDir), `result-${ifname}.json`);

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A CNI result (spec 1.0: `ips` with `address` and `gateway`) as the attachment status shows. */
export function attachmentOf(network: string, ifname: string, result: Record<string, unknown>): NetworkAttachment {
  const ips = (result.ips as { address?: string; gateway?: string }[] | undefined) ?? [];
  const gateway = ips.find((ip) => typeof ip.gateway === 'string')?.gateway;
  const mac = (result.interfaces as { name?: string; mac?: string; sandbox?: string }[] | undefined)?.find((i) => i.name === ifname && i.sandbox !== undefined)?.mac;
  return {
    network, ifname, ips: ips.map((ip) => ip.address).filter((a): a is string => typeof a === 'string'),
    ...(gateway === undefined ? {} : { gateway }), ...(mac === undefined ? {} : { mac }),
  };
}

/** What the pod is attached to, from its saved results (undefined: no CNI networks). */
export function readPodNetwork(podDir: string): PodNetwork | undefined {
  const state = readJson<State>(stateFile(podDir));
  if (state === undefined) return undefined;
  const networks = state.attachments.flatMap((a) => {
    const result = readJson<Record<string, unknown>>(resultFile(podDir, a.ifname));
    return result === undefined ? [] : [attachmentOf(a.conflist.name, a.ifname, result)];
  });
  return { netns: state.netns, networks };
}
