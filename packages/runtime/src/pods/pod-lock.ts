/**
 * Taking a pod's lock where a listing saw it. Between the listing and the
 * lock another command (gc, rm, run) may have moved or removed the pod: that
 * is the normal course of concurrent commands, reported as 'gone', never as
 * an error.
 */
import { fstatSync, statSync } from 'node:fs';
import { podsDir } from '@podstage/contract';
import { isDirLocked, lockDir, type DirLock } from '@podstage/linux';
import { ensurePodDirs, hasProcesses, type PodRef } from './lifecycle.js';

/** The lock, 'busy' when someone holds it exclusively or the pod still runs, 'gone' when the pod is no longer at `ref.path`. */
export type PodLock = DirLock | 'busy' | 'gone';

const isGone = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/** True when the locked directory is still the one at `path` (not renamed away or deleted meanwhile). */
function stillAt(lock: DirLock, path: string): boolean {
  const here = statSync(path, { throwIfNoEntry: false });
  const held = fstatSync(lock.fd);
  return here !== undefined && here.ino === held.ino && here.dev === held.dev;
}

export function lockPod(ref: PodRef, { wait = false } = {}): PodLock {
  try {
    for (;;) {
      const lock = lockDir(ref.path, { wait });
      if (lock === undefined) {
        // A shared holder is a state probe (list, status) that lets go at once; only an exclusive one is busy.
        if (isDirLocked(ref.path)) return 'busy';
        continue;
      }
      if (!stillAt(lock, ref.path)) {
        lock.release();
        return 'gone';
      }
      // A pod whose monitor died runs on while its cgroups hold processes: `stop` ends it, not gc or rm.
      if (ref.dir === 'run' && hasProcesses(ref)) {
        lock.release();
        return 'busy';
      }
      return lock;
    }
  } catch (err) {
    if (isGone(err)) return 'gone';
    throw err;
  }
}

/**
 * gc's marking and rm's claiming of a pod hold this lock (on DATA/pods), so
 * neither mistakes the other's brief hold of a pod lock for a live pod.
 */
export async function withClaimLock<T>(dataDir: string, fn: () => T | Promise<T>): Promise<T> {
  ensurePodDirs(dataDir);
  const lock = lockDir(podsDir(dataDir), { wait: true }) as DirLock;
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
