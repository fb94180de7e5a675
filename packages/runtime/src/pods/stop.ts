/**
 * stop, enter and the network check of a running pod: after the state checks
 * every front end must make the same way.
 */
import { PodstageError, readPodManifest } from '@podstage/contract';
import { stopPodProcesses } from '@podstage/linux';
import { callStop, handOverEnter, readPodStage1 } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import { findPod, monitorGone, podState, type PodRef } from './lifecycle.js';
import { checkPodNetworks, detachNetworks } from './network.js';

export function requireRunning(ref: PodRef): void {
  const state = podState(ref);
  if (state !== 'running') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} is ${state}, not running`);
}

/** SIGTERM, the grace period, SIGKILL (`force`: at once); returns when the pod is gone. */
export async function stopPod(dataDir: string, stage1s: Stage1Registry, id: string, { force = false } = {}): Promise<string> {
  const ref = findPod(dataDir, id);
  requireRunning(ref);
  if (!monitorGone(ref)) await callStop(stage1s, readPodStage1(ref.path), { uuid: ref.uuid, podDir: ref.path, force });
  // Its monitor was killed (before or during the stop): no stage1 process answers for the pod, its cgroups tell what is left.
  if (monitorGone(ref)) await stopPodProcesses(ref.path, { force });
  await detachNetworks(ref.path);
  return ref.uuid;
}

/** The running pod `id` and its app `app` (the only one when left out), checked for enter and exec. */
export function enterTarget(dataDir: string, id: string, app: string | undefined): { ref: PodRef; app: string } {
  const ref = findPod(dataDir, id);
  requireRunning(ref);
  if (monitorGone(ref)) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} still has processes but its monitor is gone (killed): it cannot be entered`, {
      hint: `stop pod ${ref.uuid} to end what is left`,
    });
  }
  const apps = readPodManifest(ref.path).apps;
  const name = app ?? (apps.length === 1 ? apps[0]!.name : undefined);
  if (name === undefined) throw new PodstageError('ERR_PODSTAGE_USAGE', `pod ${ref.uuid} has ${apps.length} apps: name one (${apps.map((a) => a.name).join(', ')})`);
  if (!apps.some((a) => a.name === name)) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `pod ${ref.uuid} has no app named ${name}`);
  return { ref, app: name };
}

/**
 * Run `command` in a running app with the app's own isolation, in place of this
 * process (exec mode); `app` may be left out for a one-app pod.
 */
export async function enterPod(dataDir: string, stage1s: Stage1Registry, id: string, o: { app?: string | undefined; command: string[] }): Promise<number> {
  const { ref, app } = enterTarget(dataDir, id, o.app);
  return handOverEnter(stage1s, readPodStage1(ref.path), { uuid: ref.uuid, podDir: ref.path, app, command: o.command });
}

/** CNI CHECK of the running pod `id`'s networks (what ADD made is still in place); the networks checked. */
export async function checkPodNetwork(dataDir: string, id: string): Promise<string[]> {
  const ref = findPod(dataDir, id);
  requireRunning(ref);
  return checkPodNetworks(ref.path);
}
