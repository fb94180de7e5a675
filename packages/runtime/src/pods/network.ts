/**
 * A pod's CNI networks, on stage0's side (@podstage/net): checked at prepare,
 * attached before the stage1 runs (it joins the namespace), detached on stop
 * and before a pod is deleted. Loaded only for pods that use CNI.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_NETWORK } from '@podstage/net/names';
import { netStateDir } from '@podstage/net/state';
import { cniNetworks, PodstageError, readPodManifest, readPodOptions, writePodOptions, type RunOptions, type Stage1Manifest } from '@podstage/contract';
import { manifestPortMappings } from './ports.js';
import { writePodEtcFiles } from './etc-files.js';

/**
 * `--net=default`: podstage's default CNI network for a stage1 that joins CNI networks (ABI 3), as
 * rkt's `default`; the stage1's own choice for an older one (fly: the host's network).
 */
export const resolveNet = (net: string, stage1: Stage1Manifest): string => (net === 'default' && stage1.abiVersion >= 3 ? DEFAULT_NETWORK : net);

/** Every network named in `net`, loaded and checked (conflist schema, plugins installed); throws before anything is written. */
export async function checkNetworks(configDir: string, net: string): Promise<void> {
  await loadNetworks(configDir, net);
}

async function loadNetworks(configDir: string, net: string) {
  const names = cniNetworks(net);
  if (names.length === 0) return [];
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new PodstageError('ERR_PODSTAGE_USAGE', `--net: network ${n} is named twice`);
    seen.add(n);
  }
  const { DEFAULT_NETWORK, ensureDefaultNetwork, findNetwork } = await import('@podstage/net');
  return names.map((n) => (n === DEFAULT_NETWORK ? ensureDefaultNetwork(configDir) : findNetwork(configDir, n)));
}

/**
 * Before a pod's stage1 runs: attach it to its CNI networks (its RunOptions and options.json get
 * the namespace), then write its hosts, resolv.conf and hostname.
 */
export async function setUpNetwork(opts: RunOptions, configDir: string): Promise<RunOptions> {
  const lists = await loadNetworks(configDir, opts.net);
  const options = readPodOptions(opts.podDir);
  if (lists.length === 0) {
    writePodEtcFiles(opts.podDir, opts.uuid, options, []);
    return opts;
  }
  const { attachPod } = await import('@podstage/net');
  const ports = [...(options.portMappings ?? []), ...manifestPortMappings(readPodManifest(opts.podDir))];
  const network = await attachPod(opts.podDir, opts.uuid, lists, ports);
  writePodOptions(opts.podDir, { ...options, netns: network.netns });
  writePodEtcFiles(opts.podDir, opts.uuid, options, network.networks.flatMap((n) => n.ips));
  return { ...opts, netns: network.netns };
}

/** Tear down whatever networks the pod was attached to (nothing when none). */
export async function detachNetworks(podDir: string): Promise<void> {
  if (!existsSync(netStateDir(podDir))) return;
  const { detachPod } = await import('@podstage/net');
  await detachPod(podDir);
}

/** CNI CHECK of the pod's networks; the networks checked (none when it has no CNI network). */
export async function checkPodNetworks(podDir: string): Promise<string[]> {
  if (!existsSync(netStateDir(podDir))) return [];
  const { checkPod } = await import('@podstage/net');
  return checkPod(podDir);
}
