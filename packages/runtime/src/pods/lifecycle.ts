/**
 * Pod states on disk (rkt's pod lifecycle): a pod is a directory that moves
 * embryo → prepare → prepared → run → exited-garbage → (deleted), or to
 * garbage when a prepare fails, by atomic rename. Whether a pod in prepare/
 * or run/ is live is told by its flock, held by whoever works on it, and for
 * a pod in run/ also by its cgroup: the pod runs while processes remain there,
 * even when the lock's holder, its monitor, was killed (ABI.md, "Lifecycle").
 */
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  POD_STATE_DIRS, PodstageError, podDirIn, podStateDir, UUID_PATTERN, type PodStateDir,
} from '@podstage/contract';
import { isDirLocked, lockDir, podProcesses, type DirLock } from '@podstage/linux';

export type PodState =
  | 'embryo' | 'preparing' | 'aborted-prepare' | 'prepared' | 'running' | 'exited' | 'exited-garbage' | 'garbage';

export interface PodRef {
  uuid: string;
  dir: PodStateDir;
  path: string;
}

export function ensurePodDirs(dataDir: string): void {
  for (const d of Object.keys(POD_STATE_DIRS) as PodStateDir[]) mkdirSync(podStateDir(dataDir, d), { recursive: true, mode: 0o700 });
}

/** A new pod: created in embryo/, locked, then renamed to prepare/ (rkt's preparing). */
export function createPod(dataDir: string): { ref: PodRef; lock: DirLock } {
  ensurePodDirs(dataDir);
  const uuid = randomUUID();
  const embryo = podDirIn(dataDir, 'embryo', uuid);
  mkdirSync(embryo, { mode: 0o711 });
  const lock = lockDir(embryo);
  if (lock === undefined) throw new PodstageError('ERR_PODSTAGE_POD_LOCKED', `pod ${uuid}: a fresh embryo is locked by someone else`);
  const ref = move(dataDir, { uuid, dir: 'embryo', path: embryo }, 'preparing');
  return { ref, lock };
}

export function move(dataDir: string, ref: PodRef, to: PodStateDir): PodRef {
  const path = podDirIn(dataDir, to, ref.uuid);
  renameSync(ref.path, path);
  return { uuid: ref.uuid, dir: to, path };
}

export function listPodRefs(dataDir: string): PodRef[] {
  const out: PodRef[] = [];
  for (const dir of Object.keys(POD_STATE_DIRS) as PodStateDir[]) {
    let names: string[];
    try {
      names = readdirSync(podStateDir(dataDir, dir));
    } catch {
      continue;
    }
    for (const uuid of names) if (UUID_PATTERN.test(uuid)) out.push({ uuid, dir, path: podDirIn(dataDir, dir, uuid) });
  }
  return out;
}

/** Find a pod by full UUID or a unique prefix; the pod may move meanwhile, so callers re-check state under lock. */
export function findPod(dataDir: string, uuidOrPrefix: string): PodRef {
  const want = uuidOrPrefix.toLowerCase();
  if (!/^[0-9a-f-]+$/.test(want)) throw new PodstageError('ERR_PODSTAGE_USAGE', `${JSON.stringify(uuidOrPrefix)} is not a pod UUID`);
  const matches = listPodRefs(dataDir).filter((r) => r.uuid.startsWith(want));
  const uuids = new Set(matches.map((m) => m.uuid));
  if (uuids.size === 0) throw new PodstageError('ERR_PODSTAGE_POD_NOT_FOUND', `no pod ${uuidOrPrefix}`, { hint: 'podstage list shows the pods' });
  if (uuids.size > 1) throw new PodstageError('ERR_PODSTAGE_USAGE', `pod UUID prefix ${uuidOrPrefix} is ambiguous (${[...uuids].join(', ')})`);
  return matches[0]!;
}

export function podState(ref: PodRef): PodState {
  switch (ref.dir) {
    case 'embryo':
      return 'embryo';
    case 'preparing':
      return isDirLocked(ref.path) ? 'preparing' : 'aborted-prepare';
    case 'prepared':
      return 'prepared';
    case 'run':
      return isDirLocked(ref.path) || hasProcesses(ref) ? 'running' : 'exited';
    case 'exitedGarbage':
      return 'exited-garbage';
    case 'garbage':
      return 'garbage';
  }
}

/** Processes of the pod left on the host, in its cgroups. */
export const hasProcesses = (ref: PodRef) => podProcesses(ref.path).length > 0;

/**
 * A running pod whose monitor (the process holding its lock: the sandbox's
 * conmon) is gone while other processes of the pod live on: nothing
 * answers for the pod but its cgroups. False once the pod moved away from `ref`.
 */
export function monitorGone(ref: PodRef): boolean {
  if (ref.dir !== 'run') return false;
  try {
    return !isDirLocked(ref.path) && hasProcesses(ref);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Seconds since the pod last changed directory (rename updates ctime). The
 * kernel's ctime is finer than Date.now()'s whole milliseconds: a pod moved
 * this instant can seem to have moved a fraction of a millisecond from now.
 */
export function secondsInState(ref: PodRef): number {
  try {
    return Math.max(0, Date.now() - statSync(ref.path).ctimeMs) / 1000;
  } catch {
    return 0;
  }
}
