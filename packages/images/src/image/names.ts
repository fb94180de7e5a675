/**
 * Image names (`registry/repo:tag`) as the store keeps them: valid
 * distribution references (reference-grammar.ts), every one with a tag
 * (`:latest` is added), each mapped to one file under `images/refs/`.
 */
import { PodstageError, type ErrorCode } from '@podstage/contract/errors';
import { referenceProblem } from './reference-grammar.js';

/** True when the last path component carries a `:tag` or the name an `@digest`. */
function hasTagOrDigest(name: string): boolean {
  const lastComponent = name.slice(name.lastIndexOf('/') + 1);
  return lastComponent.includes(':') || name.includes('@');
}

/**
 * Validates a name and adds `:latest` when it has neither tag nor digest.
 * `what` says where the name came from (`--name`, an archive's RepoTags, …).
 */
export function normalizeImageName(name: string, what = 'image name', code: ErrorCode = 'ERR_PODSTAGE_USAGE'): string {
  const problem = referenceProblem(name);
  if (problem !== undefined) {
    throw new PodstageError(code, `${what} \`${name}\`: ${problem}; expected \`[REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST]\``, {
      hint: 'for example `registry.example/team/app:1.0`, `localhost:5000/app` or `app`',
    });
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
