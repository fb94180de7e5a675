/**
 * Garbage collection (rkt gc): mark exited pods, expire stale prepared ones,
 * collect aborted prepares, then delete what has been garbage for longer than
 * the grace period. Every move happens under the pod's lock, so a pod that
 * is being prepared, run or stopped is never touched.
 */
import { existsSync } from 'node:fs';
import { pod } from '@podstage/contract';
import { lockDir } from '@podstage/linux';
import { listPodRefs, move, secondsInState, type PodRef } from './lifecycle.js';
import { deletePod } from './remove.js';

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

function withLock(ref: PodRef, fn: () => void): boolean {
  const lock = lockDir(ref.path);
  if (lock === undefined) return false;
  try {
    fn();
  } finally {
    lock.release();
  }
  return true;
}

export async function gcPods(dataDir: string, o: GcPodsOptions): Promise<GcReport> {
  const report: GcReport = { marked: [], removed: [], failed: [] };
  for (const ref of listPodRefs(dataDir)) {
    try {
      const mark = (to: 'garbage' | 'exitedGarbage') => withLock(ref, () => { move(dataDir, ref, to); report.marked.push(ref.uuid); });
      if (ref.dir === 'embryo' && secondsInState(ref) > EMBRYO_MIN_AGE_S) mark('garbage');
      else if (ref.dir === 'preparing') mark('garbage');
      else if (ref.dir === 'prepared' && secondsInState(ref) > o.expirePreparedS) mark('garbage');
      else if (ref.dir === 'run') mark('exitedGarbage');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') report.failed.push({ uuid: ref.uuid, error: (err as Error).message });
    }
  }
  if (o.markOnly) return report;
  for (const ref of listPodRefs(dataDir)) {
    if (ref.dir !== 'garbage' && ref.dir !== 'exitedGarbage') continue;
    if (ref.dir === 'exitedGarbage' && secondsInState(ref) < o.gracePeriodS) continue;
    const lock = lockDir(ref.path);
    if (lock === undefined) continue;
    try {
      await deletePod(ref, { runStage1Gc: existsSync(pod.stage1(ref.path)) });
      report.removed.push(ref.uuid);
    } catch (err) {
      report.failed.push({ uuid: ref.uuid, error: (err as Error).message });
    } finally {
      lock.release();
    }
  }
  return report;
}
