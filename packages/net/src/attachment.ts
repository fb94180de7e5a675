/**
 * A pod's networks: its namespace, each network's plugin chain run (ADD) with
 * the pod's port mappings, and the results kept with the pod so that the
 * teardown (DEL, in reverse) always runs with what was set up: on stop, on gc,
 * and after a kill -9 of anything in between. CHECK asks the plugins whether
 * what ADD made is still there. What will be attached is written
 * before the first plugin runs; DEL of a network that was never (fully) added
 * is harmless (CNI requires plugins to accept it).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { PodstageError, writeFileAtomic, type PortMapping } from '@podstage/contract';
import { isMountPoint } from '@podstage/linux';
import type { NetworkConfigList } from './conflist.js';
import { removeMasqueradeLeftovers } from './masquerade.js';
import { createNetns, netnsPath, removeNetns } from './netns.js';
import { runPlugin } from './plugins.js';
import { attachmentOf, netStateDir, readJson, resultFile, stateFile, type NetworkAttachment, type PodNetwork, type State } from './state.js';

const containerId = (uuid: string) => `podstage-${uuid}`;

/** lo up in the pod's namespace, as every CRI runtime does before the pod's networks. */
const LOOPBACK = { cniVersion: '1.0.0', name: 'podstage-loopback', type: 'loopback' };

function pluginConfig(list: NetworkConfigList, i: number, extra: Record<string, unknown>): Record<string, unknown> {
  const plugin = list.plugins[i]!;
  return { ...plugin, cniVersion: list.cniVersion, name: list.name, ...extra };
}

/** The pod's port mappings, for the plugins that declare the portMappings capability. */
function runtimeConfig(list: NetworkConfigList, i: number, ports: PortMapping[]): Record<string, unknown> {
  return list.plugins[i]!.capabilities?.portMappings === true && ports.length > 0 ? { runtimeConfig: { portMappings: ports } } : {};
}

async function addChain(s: State, a: State['attachments'][number]): Promise<Record<string, unknown>> {
  let prev: Record<string, unknown> | undefined;
  for (let i = 0; i < a.conflist.plugins.length; i++) {
    const config = pluginConfig(a.conflist, i, { ...(prev === undefined ? {} : { prevResult: prev }), ...runtimeConfig(a.conflist, i, s.portMappings) });
    prev = (await runPlugin({ command: 'ADD', containerId: containerId(s.uuid), netns: s.netns, ifname: a.ifname, config })) ?? prev;
  }
  return prev ?? {};
}

async function delChain(s: State, a: State['attachments'][number], result: Record<string, unknown> | undefined): Promise<void> {
  // A kill between creating the namespace's file and mounting it leaves a plain file, which the plugins
  // refuse as a namespace; without one (CNI_NETNS empty) they still release addresses and rules.
  const netns = isMountPoint(s.netns) ? s.netns : '';
  for (let i = a.conflist.plugins.length - 1; i >= 0; i--) {
    const config = pluginConfig(a.conflist, i, { ...(result === undefined ? {} : { prevResult: result }), ...runtimeConfig(a.conflist, i, s.portMappings) });
    await runPlugin({ command: 'DEL', containerId: containerId(s.uuid), netns, ifname: a.ifname, config });
  }
}

/** Create the pod's namespace and attach it to `lists` (eth0, eth1, … in order). A failure undoes what was done. */
export async function attachPod(podDir: string, uuid: string, lists: NetworkConfigList[], portMappings: PortMapping[] = []): Promise<PodNetwork> {
  mkdirSync(netStateDir(podDir), { recursive: true });
  const state: State = { uuid, netns: netnsPath(uuid), portMappings, attachments: lists.map((conflist, i) => ({ conflist, ifname: `eth${i}` })) };
  // Recorded before anything exists, so that a teardown after a kill at any point finds it all.
  writeFileAtomic(stateFile(podDir), `${JSON.stringify(state, null, 2)}\n`);
  try {
    createNetns(uuid);
    await runPlugin({ command: 'ADD', containerId: containerId(uuid), netns: state.netns, ifname: 'lo', config: LOOPBACK });
    const networks: NetworkAttachment[] = [];
    for (const a of state.attachments) {
      const result = await addChain(state, a);
      writeFileAtomic(resultFile(podDir, a.ifname), `${JSON.stringify(result)}\n`);
      networks.push(attachmentOf(a.conflist.name, a.ifname, result));
    }
    return { netns: state.netns, networks };
  } catch (err) {
    await detachPod(podDir).catch(() => undefined);
    throw err;
  }
}

/** DEL every network in reverse, then remove the namespace; idempotent. A plugin's failure keeps the state for the next try and is thrown. */
export async function detachPod(podDir: string): Promise<void> {
  const state = readJson<State>(stateFile(podDir));
  if (state === undefined) return;
  const errors: string[] = [];
  for (const a of [...state.attachments].reverse()) {
    try {
      await delChain(state, a, readJson(resultFile(podDir, a.ifname)));
      rmSync(resultFile(podDir, a.ifname), { force: true });
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new PodstageError('ERR_PODSTAGE_NETWORK', `pod ${state.uuid}: network teardown: ${errors.join('; ')}`);
  removeMasqueradeLeftovers(containerId(state.uuid));
  removeNetns(state.uuid);
  rmSync(stateFile(podDir), { force: true });
}

/**
 * CNI CHECK of every network the pod is attached to (spec 1.0: each plugin in ADD's order, with the
 * network's saved result as prevResult; a conflist's disableCheck skips it). Returns the networks
 * checked; a plugin that finds something wrong is thrown, naming the network and plugin.
 */
export async function checkPod(podDir: string): Promise<string[]> {
  const state = readJson<State>(stateFile(podDir));
  if (state === undefined) return [];
  const checked: string[] = [];
  for (const a of state.attachments) {
    const result = readJson<Record<string, unknown>>(resultFile(podDir, a.ifname));
    if (result === undefined) throw new PodstageError('ERR_PODSTAGE_NETWORK', `network ${a.conflist.name}: pod ${state.uuid} is not attached to it (no result of ADD)`);
    if (a.conflist.disableCheck === true) continue;
    for (let i = 0; i < a.conflist.plugins.length; i++) {
      const config = pluginConfig(a.conflist, i, { prevResult: result, ...runtimeConfig(a.conflist, i, state.portMappings) });
      await runPlugin({ command: 'CHECK', containerId: containerId(state.uuid), netns: state.netns, ifname: a.ifname, config });
    }
    checked.push(a.conflist.name);
  }
  return checked;
}
