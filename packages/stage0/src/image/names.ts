/**
 * Image names (`registry/repo:tag`) as the store keeps them: every name has a
 * tag (`:latest` is added) and maps to one file under `images/refs/`.
 */
import { PodstageError } from '@podstage/contract/errors';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/;
const MAX_NAME_LENGTH = 255;

/** True when the last path component carries a `:tag` or the name an `@digest`. */
function hasTagOrDigest(name: string): boolean {
  const lastComponent = name.slice(name.lastIndexOf('/') + 1);
  return lastComponent.includes(':') || name.includes('@');
}

/** Validates a name and adds `:latest` when it has neither tag nor digest. */
export function normalizeImageName(name: string): string {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name) || name.includes('//') || name.endsWith('/') || name.endsWith(':')) {
    throw new PodstageError(
      'ERR_PODSTAGE_USAGE',
      `image name \`${name}\`: expected \`[registry/]repository[:tag]\` (letters, digits, \`._-/:@+\`, at most ${MAX_NAME_LENGTH} characters)`,
    );
  }
  return hasTagOrDigest(name) ? name : `${name}:latest`;
}

/** The name without tag when it was normalized with `:latest`, for lookups. */
export function withLatestTag(ref: string): string | undefined {
  return hasTagOrDigest(ref) ? undefined : `${ref}:latest`;
}

/** One reversible file name for a name (image refs, keystore prefixes): never empty, `.`, `..` or containing `/`. */
export function refFileName(name: string): string {
  return encodeURIComponent(name);
}

export function nameFromRefFile(fileName: string): string | undefined {
  try {
    const name = decodeURIComponent(fileName);
    return refFileName(name) === fileName ? name : undefined;
  } catch {
    return undefined;
  }
}
