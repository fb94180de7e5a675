/**
 * Garbage collection (rkt gc): mark exited pods, expire stale prepared ones,
 * collect aborted prepares, then delete what has been garbage for longer than
 * the grace period. Every move happens under the pod's lock, so a pod that
 * is being prepared, run or stopped is never touched; a pod another command
 * (gc, rm) has moved or is removing meanwhile is left to it.
 */
import { listPodRefs, move, secondsInState, type PodRef } from './lifecycle.js';
import { lockPod, withClaimLock } from './pod-lock.js';
import { deletePod } from './remove.js';
import type { Stage1Registry } from '../stage1/registry.js';

export interface GcPodsOptions {
  gracePeriodS: number;
  expirePreparedS: number;
  markOnly: boolean;
}

export interface GcReport {
  marked: string[];
  removed: string[];
  failed: { uuid: string; error: string }[];
}

/** An embryo younger than this may still be taking its first lock. */
const EMBRYO_MIN_AGE_S = 5;

/** Run `fn` under the pod's lock; nothing when the pod is busy or gone. */
async function withPodLock(ref: PodRef, fn: () => void | Promise<void>): Promise<void> {
  const lock = lockPod(ref);
  if (typeof lock === 'string') return;
  try {
    await fn();
  } finally {
    lock.release();
  }
}

function markTarget(ref: PodRef, o: GcPodsOptions): 'garbage' | 'exitedGarbage' | undefined {
  if (ref.dir === 'embryo') return secondsInState(ref) > EMBRYO_MIN_AGE_S ? 'garbage' : undefined;
  if (ref.dir === 'preparing') return 'garbage';
  if (ref.dir === 'prepared') return secondsInState(ref) > o.expirePreparedS ? 'garbage' : undefined;
  if (ref.dir === 'run') return 'exitedGarbage';
  return undefined;
}

export async function gcPods(dataDir: string, stage1s: Stage1Registry, o: GcPodsOptions): Promise<GcReport> {
  const report: GcReport = { marked: [], removed: [], failed: [] };
  await withClaimLock(dataDir, async () => {
    for (const ref of listPodRefs(dataDir)) {
      const to = markTarget(ref, o);
      if (to === undefined) continue;
      try {
        await withPodLock(ref, () => { move(dataDir, ref, to); report.marked.push(ref.uuid); });
      } catch (err) {
        report.failed.push({ uuid: ref.uuid, error: (err as Error).message });
      }
    }
  });
  if (o.markOnly) return report;
  for (const ref of listPodRefs(dataDir)) {
    if (ref.dir !== 'garbage' && ref.dir !== 'exitedGarbage') continue;
    if (ref.dir === 'exitedGarbage' && secondsInState(ref) < o.gracePeriodS) continue;
    try {
      await withPodLock(ref, async () => {
        await deletePod(ref, stage1s);
        report.removed.push(ref.uuid);
      });
    } catch (err) {
      report.failed.push({ uuid: ref.uuid, error: (err as Error).message });
    }
  }
  return report;
}
