/**
 * Prepare a pod: embryo → prepare/ (locked) → write manifest, stage1 choice
 * and per-app rootfs layout → prepared/. A failure moves the pod to garbage/
 * and deletes it; a crash leaves an unlocked pod in prepare/, which gc collects.
 */
import { chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { pod, replaceFile, writeFileAtomic, writePodManifest, writePodOptions, type PodManifest, type PodOptions, type RuntimeApp, type Volume } from '@podstage/contract';
import type { DirLock } from '@podstage/linux';
import type { ImageStore } from '@podstage/images';
import type { Stage1Choice } from '../stage1/select.js';
import { createPod, move, type PodRef } from './lifecycle.js';


/** An app's directory: its upper and work layers, the rootfs mount point, the lower layer's link. */
export async function layOutApp(dir: string, store: ImageStore, app: RuntimeApp): Promise<void> {
  const tree = await store.treePath(app.image.id);
  for (const d of [pod.appUpper(dir, app.name), pod.appWork(dir, app.name), pod.appRootfs(dir, app.name)]) mkdirSync(d, { recursive: true, mode: 0o755 });
  symlinkSync(tree, pod.appLower(dir, app.name));
  store.markUsed(app.image.id);
}

export function layOutVolume(dir: string, v: Volume): void {
  if (v.kind !== 'empty') return;
  const path = pod.volume(dir, v.name);
  mkdirSync(path, { recursive: true, mode: Number.parseInt(v.mode ?? '0755', 8) });
  chownSync(path, v.uid ?? 0, v.gid ?? 0);
}

export interface PreparedPod {
  ref: PodRef;
  lock: DirLock;
}

export async function preparePod(
  dataDir: string, store: ImageStore, manifest: PodManifest, stage1: Stage1Choice, defaults: PodOptions,
): Promise<PreparedPod> {
  const { ref, lock } = createPod(dataDir);
  try {
    const dir = ref.path;
    replaceFile(pod.created(dir), `${new Date().toISOString()}\n`);
    writePodManifest(dir, manifest);
    writeFileAtomic(pod.stage1(dir), `${JSON.stringify(stage1, null, 2)}\n`);
    writePodOptions(dir, defaults);
    replaceFile(pod.manifestLock(dir), '');
    for (const app of manifest.apps) await layOutApp(dir, store, app);
    for (const v of manifest.volumes ?? []) layOutVolume(dir, v);
    return { ref: move(dataDir, ref, 'prepared'), lock };
  } catch (err) {
    await discardPod(dataDir, { ref, lock });
    throw err;
  }
}

/** Undo a prepare that cannot complete: move the pod to garbage/ and delete it (gc collects what a failure here leaves). */
export async function discardPod(dataDir: string, { ref, lock }: PreparedPod): Promise<void> {
  try {
    const { deletePod } = await import('./remove.js');
    await deletePod(move(dataDir, ref, 'garbage'));
  } catch {
    // An unlocked pod in prepare/ or garbage/ is gc's to collect.
  } finally {
    lock.release();
  }
}
