/**
 * Resolve a path as if `root` were `/`, the way Go's filepath-securejoin
 * (used by runc and containerd) does: `..` never climbs above root and every
 * symlink met on the way is resolved inside root. The result is a host path
 * that is always `root` or below it.
 *
 * It is a lexical + lstat walk, not an openat2(RESOLVE_IN_ROOT): it is only
 * race-free when nobody else can rename or re-link inside `root` while we
 * work (a private extraction directory, a pod rootfs before its apps run).
 * Sync fs calls only: callers use it right before exec, possibly after
 * unsharing the mount namespace on the main thread.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PodstageError } from '@podstage/contract';

export interface SecureJoinOptions {
  /**
   * Resolve the final component when it is a symlink (default true). Tar
   * extraction passes false: it replaces a final symlink, never follows it.
   */
  followFinal?: boolean;
  /** Symlink hops allowed before giving up as a loop (default 255). */
  maxLinkHops?: number;
}

/** A PodstageError, so wherever it surfaces (stage0, a stage1 entrypoint, a supervisor) it is one line. */
export class SecureJoinError extends PodstageError {
  constructor(message: string) {
    super('ERR_PODSTAGE_UNSAFE_PATH', message);
    this.name = 'SecureJoinError';
  }
}

const DEFAULT_MAX_LINK_HOPS = 255;

/** `lstat` that answers undefined for a path that is not there (ENOENT, ENOTDIR). */
function lstatIfExists(path: string) {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export function secureJoin(root: string, unsafePath: string, options: SecureJoinOptions = {}): string {
  const followFinal = options.followFinal ?? true;
  const maxLinkHops = options.maxLinkHops ?? DEFAULT_MAX_LINK_HOPS;
  const cleanRoot = resolve(root);
  const resolved: string[] = [];
  const pending = unsafePath.split('/');
  let hops = 0;

  while (pending.length > 0) {
    const component = pending.shift() as string;
    if (component === '' || component === '.') continue;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const isFinal = pending.every((c) => c === '' || c === '.');
    if (isFinal && !followFinal) {
      resolved.push(component);
      continue;
    }
    const candidate = join(cleanRoot, ...resolved, component);
    const stat = lstatIfExists(candidate);
    if (stat === undefined || !stat.isSymbolicLink()) {
      resolved.push(component);
      continue;
    }
    hops += 1;
    if (hops > maxLinkHops) {
      throw new SecureJoinError(
        `resolving \`${unsafePath}\` under \`${cleanRoot}\`: more than ${maxLinkHops} symlinks (a loop?), expected a resolvable path`,
      );
    }
    const target = readlinkSync(candidate);
    // An absolute target restarts from root, a relative one from the link's directory.
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/'));
  }
  return join(cleanRoot, ...resolved);
}
