/** Small filesystem helpers for the store: atomic files and owned temp names. */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Every temp entry the image store makes under `tmpDir(dataDir)` starts with this. */
export const STORE_TEMP_PREFIX = 'image-';

/**
 * A temp name that carries our pid, `<prefix>-<pid>-<random>`, so garbage
 * collection can tell leftovers of dead processes from work in progress.
 */
export function ownedTempName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** The pid in an `ownedTempName`, or undefined for other names. */
export function ownerPid(name: string): number | undefined {
  const match = /-(\d+)-[0-9a-f]{12}$/.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A temp entry left behind by a process that no longer exists. */
export function isAbandonedTemp(name: string): boolean {
  const pid = ownerPid(name);
  return pid !== undefined && pid !== process.pid && !isProcessAlive(pid);
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write, fsync, rename: readers see the old content or the new, never half. */
export function writeFileAtomicSync(path: string, data: string): void {
  const temp = join(dirname(path), `.${ownedTempName(basename(path) + '.tmp')}`);
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  fsyncDirSync(dirname(path));
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}
