/** What list and status report about a pod, read from its directory. */
import { existsSync, readFileSync } from 'node:fs';
import { pod, readAppExitStatus, readPidFile, readPodManifest, readStage1Info } from '@podstage/contract';
import { readPodNetwork, type NetworkAttachment } from '@podstage/net/state';
import { monitorGone, podState, type PodRef, type PodState } from './lifecycle.js';

export interface AppInfo {
  name: string;
  image: string;
  imageId: string;
  exitCode?: number;
}

export interface PodInfo {
  uuid: string;
  state: PodState;
  stage1?: string;
  /** What the stage1 reports about how it runs the pod (kvm: the accelerator). */
  stage1Info?: Record<string, string>;
  pid?: number;
  /** Running, but the process holding the pod (its `pid`) was killed: only `stop` ends what is left. */
  monitorGone?: true;
  createdAt?: string;
  startedAt?: string;
  /** The CNI networks the pod is attached to, with the addresses they gave it (until it is stopped or collected). */
  networks?: NetworkAttachment[];
  apps: AppInfo[];
}

function readStamp(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function podInfo(ref: PodRef): PodInfo {
  const state = podState(ref);
  const info: PodInfo = { uuid: ref.uuid, state, apps: [] };
  try {
    const stage1 = JSON.parse(readFileSync(pod.stage1(ref.path), 'utf8')) as { manifest?: { name?: string } };
    if (stage1.manifest?.name !== undefined) info.stage1 = stage1.manifest.name;
  } catch {
    // no stage1 chosen yet (embryo, aborted prepare)
  }
  const stage1Info = readStage1Info(ref.path);
  if (stage1Info !== undefined) info.stage1Info = stage1Info;
  const created = readStamp(pod.created(ref.path));
  if (created !== undefined) info.createdAt = created;
  const started = readStamp(pod.started(ref.path));
  if (started !== undefined) info.startedAt = started;
  if (state === 'running' && monitorGone(ref)) info.monitorGone = true;
  const pid = readPidFile(ref.path);
  if (pid !== undefined && state === 'running' && info.monitorGone === undefined) info.pid = pid;
  const networks = readPodNetwork(ref.path)?.networks;
  if (networks !== undefined && networks.length > 0) info.networks = networks;
  try {
    for (const app of readPodManifest(ref.path).apps) {
      const a: AppInfo = { name: app.name, image: app.image.name ?? app.image.id, imageId: app.image.id };
      const code = readAppExitStatus(ref.path, app.name);
      if (code !== undefined) a.exitCode = code;
      info.apps.push(a);
    }
  } catch {
    // manifest not written yet
  }
  return info;
}

export type AppState = 'created' | 'running' | 'exited';

/** One app of a pod as `app list` and `app status` show it. */
export interface AppStatus {
  name: string;
  image: string;
  state: AppState;
  startedAt?: string;
  exitCode?: number;
}

export function appInfos(ref: PodRef): AppStatus[] {
  return readPodManifest(ref.path).apps.map((a) => {
    const exitCode = readAppExitStatus(ref.path, a.name);
    const started = existsSync(pod.appStarted(ref.path, a.name)) ? readFileSync(pod.appStarted(ref.path, a.name), 'utf8').trim() : undefined;
    const state: AppState = exitCode !== undefined ? 'exited' : started !== undefined ? 'running' : 'created';
    return { name: a.name, image: a.image.name ?? a.image.id, state, ...(started === undefined ? {} : { startedAt: started }), ...(exitCode === undefined ? {} : { exitCode }) };
  });
}
