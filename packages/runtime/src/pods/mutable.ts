/**
 * Mutable pods (rkt's app sandbox, what Kubernetes needs): apps are added to
 * and removed from a running sandbox. Stage0 owns the manifest (rewritten
 * under pod.lock); the stage1 starts and stops what the manifest says.
 */
import { existsSync, rmSync } from 'node:fs';
import {
  parsePodManifest, pod, PodstageError, readPodManifest, readPodOptions, writePodManifest, type Isolator, type RuntimeApp,
} from '@podstage/contract';
import { lockDir } from '@podstage/linux';
import type { ImageStore } from '@podstage/images';
import { buildPodManifest, type PodRequest, type ResolvedImage } from './build-manifest.js';
import { podState, type PodRef } from './lifecycle.js';
import { layOutApp, layOutVolume } from './prepare.js';

export function requireRunningSandbox(ref: PodRef): void {
  const state = podState(ref);
  if (state !== 'running') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} is ${state}, not running`);
  if (!readPodOptions(ref.path).mutable) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} is not a sandbox: apps can only be added to pods started with podstage app sandbox`);
  }
}

async function withManifestLock<T>(ref: PodRef, fn: () => Promise<T>): Promise<T> {
  const path = pod.manifestLock(ref.path);
  if (!existsSync(path)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `${path} is missing`);
  const lock = lockDir(path, { wait: true });
  if (lock === undefined) throw new PodstageError('ERR_PODSTAGE_POD_LOCKED', `${path}: could not lock`);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** Add one app (from a one-image request) to the sandbox's manifest and lay out its directory. */
export async function addAppToPod(ref: PodRef, store: ImageStore, request: PodRequest, image: ResolvedImage): Promise<RuntimeApp> {
  return withManifestLock(ref, async () => {
    const m = readPodManifest(ref.path);
    const [app] = buildPodManifest(request, [image]).apps as [RuntimeApp];
    if (m.apps.some((a) => a.name === app.name)) {
      throw new PodstageError('ERR_PODSTAGE_APP_EXISTS', `pod ${ref.uuid} already has an app named ${app.name}`, { hint: 'choose another name' });
    }
    const volumes = [...(m.volumes ?? []), ...request.volumes];
    const next = parsePodManifest({ ...m, apps: [...m.apps, app], ...(volumes.length > 0 ? { volumes } : {}) });
    await layOutApp(ref.path, store, app);
    for (const v of request.volumes) layOutVolume(ref.path, v);
    writePodManifest(ref.path, next);
    return app;
  });
}

/** Remove a stopped app from the manifest and delete its directory (its writable layer and log); `volumes`: those it came with. */
export async function removeAppFromPod(ref: PodRef, name: string, volumes: readonly string[] = []): Promise<void> {
  await withManifestLock(ref, async () => {
    const m = readPodManifest(ref.path);
    if (!m.apps.some((a) => a.name === name)) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `pod ${ref.uuid} has no app named ${name}`);
    const kept = (m.volumes ?? []).filter((v) => !volumes.includes(v.name));
    writePodManifest(ref.path, { ...m, apps: m.apps.filter((a) => a.name !== name), ...(m.volumes === undefined ? {} : { volumes: kept }) });
    rmSync(pod.appDir(ref.path, name), { recursive: true, force: true });
  });
}

/** Replace the resource isolators (cpu, memory) of app `name` in the sandbox's manifest. */
export async function setAppResources(ref: PodRef, name: string, resources: Isolator[]): Promise<void> {
  await withManifestLock(ref, async () => {
    const m = readPodManifest(ref.path);
    if (!m.apps.some((a) => a.name === name)) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `pod ${ref.uuid} has no app named ${name}`);
    const replaced = new Set(resources.map((i) => i.name));
    const apps = m.apps.map((a) => (a.name !== name ? a : { ...a, app: { ...a.app, isolators: [...(a.app.isolators ?? []).filter((i) => !replaced.has(i.name)), ...resources] } }));
    writePodManifest(ref.path, parsePodManifest({ ...m, apps }));
  });
}
