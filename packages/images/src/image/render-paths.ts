/** Path helpers for layer rendering: archive paths → components, lstat without throwing. */
import { lstatSync } from 'node:fs';
import { PodstageError } from '@podstage/contract/errors';

export function unsafe(message: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_UNSAFE_PATH', message);
}

/** Archive path → components relative to root; `..` that climbs above root is refused. */
export function entryPathParts(path: string, what: string): string[] {
  const parts: string[] = [];
  for (const component of path.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (parts.length === 0) throw unsafe(`${what}: path \`${path}\` leads outside the rootfs, expected a path inside it`);
      parts.pop();
      continue;
    }
    parts.push(component);
  }
  return parts;
}

export function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}
