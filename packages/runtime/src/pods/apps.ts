/**
 * Apps of a running mutable pod (a sandbox): add, start, stop, remove, as one
 * call each. Stage0 keeps the manifest (under the pod's manifest lock); the
 * pod's stage1 acts in the running pod.
 */
import type { FetchImageOptions, ImageStore } from '@podstage/images';
import { PodstageError, readPodManifest } from '@podstage/contract';
import { resolveImage } from '../prepare.js';
import { checkAppsForStage1, checkPodForStage1 } from '../stage1/abi-features.js';
import { callApp, readPodStage1 } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import type { PodRequest } from './build-manifest.js';
import { findPod } from './lifecycle.js';
import { addAppToPod, removeAppFromPod, requireRunningSandbox } from './mutable.js';

export interface AddAppOptions {
  store: ImageStore;
  fetch: FetchImageOptions;
}

/** Add the spec's one app to the sandbox `id` (created, not started); returns its name. */
export async function addApp(dataDir: string, stage1s: Stage1Registry, id: string, spec: PodRequest, o: AddAppOptions): Promise<string> {
  const ref = findPod(dataDir, id);
  requireRunningSandbox(ref);
  if (spec.apps.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', `an app is added with exactly one image, got ${spec.apps.length}`);
  const stage1 = readPodStage1(ref.path);
  checkAppsForStage1([{ name: spec.apps[0]!.name ?? 'app', annotations: spec.apps[0]!.annotations ?? [] }], stage1.manifest);
  const m = readPodManifest(ref.path);
  checkPodForStage1({ ...m, volumes: [...(m.volumes ?? []), ...spec.volumes] }, stage1.manifest);
  const image = await resolveImage(o.store, spec.apps[0]!.image, o.fetch);
  const app = await addAppToPod(ref, o.store, spec, image);
  try {
    await callApp(stage1s, stage1, 'app-add', { uuid: ref.uuid, podDir: ref.path, app: app.name, force: false });
  } catch (err) {
    // Refused by the stage1 (what it cannot give the app): nothing of the app stays.
    await removeAppFromPod(ref, app.name, spec.volumes.map((v) => v.name));
    throw err;
  }
  return app.name;
}

/** Start (or restart), stop (`force`: SIGKILL at once) or remove an app of the sandbox `id`. */
/**
 * `gracePeriodSeconds` (stop): between SIGTERM and SIGKILL; a stage1 of ABI 8 honours it, an older
 * one ignores the flag and keeps its own (10 s).
 */
export async function controlApp(
  dataDir: string, stage1s: Stage1Registry, id: string, verb: 'start' | 'stop' | 'rm', app: string, { force = false, gracePeriodSeconds }: { force?: boolean; gracePeriodSeconds?: number } = {},
): Promise<void> {
  const ref = findPod(dataDir, id);
  requireRunningSandbox(ref);
  await callApp(stage1s, readPodStage1(ref.path), `app-${verb}`, { uuid: ref.uuid, podDir: ref.path, app, force, ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }) });
  if (verb === 'rm') await removeAppFromPod(ref, app);
}
