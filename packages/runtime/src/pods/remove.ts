import { existsSync, rmSync } from 'node:fs';
import { isPodstageError, pod, PodstageError, UUID_PATTERN } from '@podstage/contract';
import type { DirLock } from '@podstage/linux';
import { callGc, readPodStage1 } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import { findPod, move, type PodRef } from './lifecycle.js';
import { mountsUnder, unmountAllUnder } from './mounts.js';
import { detachNetworks } from './network.js';
import { lockPod, withClaimLock } from './pod-lock.js';

/**
 * Let the pod's stage1 clean up (when `stage1s` is given and the pod has chosen a stage1),
 * then delete the directory; never through a mount.
 */
export async function deletePod(ref: PodRef, stage1s?: Stage1Registry): Promise<void> {
  await detachNetworks(ref.path);
  if (stage1s !== undefined && existsSync(pod.stage1(ref.path))) {
    await callGc(stage1s, readPodStage1(ref.path), { uuid: ref.uuid, podDir: ref.path });
  }
  unmountAllUnder(ref.path);
  const left = mountsUnder(ref.path);
  if (left.length > 0) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid}: still mounted at ${left.join(', ')}; not deleting`);
  }
  rmSync(ref.path, { recursive: true, force: true });
}

const isGarbage = (ref: PodRef) => ref.dir === 'garbage' || ref.dir === 'exitedGarbage';

/** The pod `id` names, or undefined when it is gone: a full UUID (or one seen before) no longer there was removed already. */
function findRemovable(dataDir: string, id: string, seen: boolean): PodRef | undefined {
  try {
    return findPod(dataDir, id);
  } catch (err) {
    if (isPodstageError(err) && err.code === 'ERR_PODSTAGE_POD_NOT_FOUND' && (seen || UUID_PATTERN.test(id.toLowerCase()))) return undefined;
    throw err;
  }
}

type Claim = { ref: PodRef; lock: DirLock } | { waitFor: PodRef } | 'again' | 'gone';

/** Lock the pod and move it to a garbage directory, under the claim lock (see pod-lock.ts). */
function claim(dataDir: string, found: PodRef): Claim {
  const lock = lockPod(found);
  if (lock === 'gone') return 'again';
  // A garbage pod's lock is held by the gc or rm deleting it: wait for it to finish.
  if (lock === 'busy' && isGarbage(found)) return { waitFor: found };
  if (lock === 'busy') throw new PodstageError('ERR_PODSTAGE_POD_LOCKED', `pod ${found.uuid} is running or busy; stop it first`);
  try {
    return { ref: isGarbage(found) ? found : move(dataDir, found, found.dir === 'run' ? 'exitedGarbage' : 'garbage'), lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * rm: remove a pod that is not running. A pod another command (gc, rm) moves
 * meanwhile is looked up again; one it removes is gone, which is what was asked.
 */
export async function removePod(dataDir: string, stage1s: Stage1Registry, id: string): Promise<{ removed: string } | 'gone'> {
  let seen = false;
  for (;;) {
    const c = await withClaimLock(dataDir, (): Claim => {
      const found = findRemovable(dataDir, id, seen);
      if (found === undefined) return 'gone';
      seen = true;
      return claim(dataDir, found);
    });
    if (c === 'gone') return 'gone';
    if (c === 'again') continue;
    const held = 'waitFor' in c ? lockPod(c.waitFor, { wait: true }) : c.lock;
    if (typeof held === 'string') continue;
    const ref = 'waitFor' in c ? c.waitFor : c.ref;
    try {
      await deletePod(ref, stage1s);
    } finally {
      held.release();
    }
    return { removed: ref.uuid };
  }
}
