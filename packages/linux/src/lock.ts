/**
 * Directory locks (flock on an O_RDONLY directory fd), rkt's pod lock: a pod
 * directory keeps its lock across renames, and an inherited fd keeps it held
 * across exec for as long as the pod's process lives.
 */
import { closeSync, openSync } from 'node:fs';
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from './syscalls.js';

export interface DirLock {
  fd: number;
  path: string;
  release(): void;
}

/** Take an exclusive lock; returns undefined when `wait` is false and it is held. */
export function lockDir(path: string, { wait = false, shared = false } = {}): DirLock | undefined {
  const fd = openSync(path, 'r');
  const op = (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  try {
    if (!flock(fd, op, path)) {
      closeSync(fd);
      return undefined;
    }
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return {
    fd,
    path,
    release() {
      flock(fd, LOCK_UN, path);
      closeSync(fd);
    },
  };
}

/** True when another process holds an exclusive lock on `path`. */
export function isDirLocked(path: string): boolean {
  const lock = lockDir(path, { shared: true });
  if (lock === undefined) return true;
  lock.release();
  return false;
}
