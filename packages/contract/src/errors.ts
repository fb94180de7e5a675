/**
 * One error type for the whole runtime. `code` is stable and machine-readable,
 * the message names the object and what was expected, `hint` tells the user
 * what to do about it.
 */
export type ErrorCode =
  | 'ERR_PODSTAGE_USAGE'
  | 'ERR_PODSTAGE_MANIFEST'
  | 'ERR_PODSTAGE_IMAGE'
  | 'ERR_PODSTAGE_IMAGE_NOT_FOUND'
  | 'ERR_PODSTAGE_DIGEST'
  | 'ERR_PODSTAGE_REGISTRY'
  | 'ERR_PODSTAGE_SIGNATURE'
  | 'ERR_PODSTAGE_TRUST'
  | 'ERR_PODSTAGE_UNSAFE_PATH'
  | 'ERR_PODSTAGE_POD_NOT_FOUND'
  | 'ERR_PODSTAGE_APP_NOT_FOUND'
  | 'ERR_PODSTAGE_APP_EXISTS'
  | 'ERR_PODSTAGE_POD_STATE'
  | 'ERR_PODSTAGE_POD_LOCKED'
  | 'ERR_PODSTAGE_STAGE1'
  | 'ERR_PODSTAGE_UNSUPPORTED'
  | 'ERR_PODSTAGE_SYSCALL'
  | 'ERR_PODSTAGE_HOST'
  | 'ERR_PODSTAGE_NETWORK_CONFIG'
  | 'ERR_PODSTAGE_NETWORK';

export interface PodstageErrorOptions {
  hint?: string;
  cause?: unknown;
  /** The pod manifest field the error is about (`apps[web].app.isolators[0]`), for a front end to name as its user knows it. */
  field?: string;
}

export class PodstageError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: PodstageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PodstageError';
    this.code = code;
    this.hint = options.hint;
    this.field = options.field;
  }
}

export function isPodstageError(err: unknown): err is PodstageError {
  return err instanceof PodstageError;
}

/**
 * What a caller does next, by code: the classes a front end maps errors to (a CRI
 * server to gRPC status codes, the CLI to exit codes and hints).
 */
export type ErrorKind = 'invalid-argument' | 'not-found' | 'already-exists' | 'failed-precondition' | 'locked' | 'unsupported' | 'internal';

export const ERROR_KINDS: Readonly<Record<ErrorCode, ErrorKind>> = Object.freeze({
  ERR_PODSTAGE_USAGE: 'invalid-argument',
  ERR_PODSTAGE_MANIFEST: 'invalid-argument',
  ERR_PODSTAGE_IMAGE: 'invalid-argument',
  ERR_PODSTAGE_IMAGE_NOT_FOUND: 'not-found',
  ERR_PODSTAGE_DIGEST: 'invalid-argument',
  ERR_PODSTAGE_REGISTRY: 'internal',
  ERR_PODSTAGE_SIGNATURE: 'failed-precondition',
  ERR_PODSTAGE_TRUST: 'invalid-argument',
  ERR_PODSTAGE_UNSAFE_PATH: 'invalid-argument',
  ERR_PODSTAGE_POD_NOT_FOUND: 'not-found',
  ERR_PODSTAGE_APP_NOT_FOUND: 'not-found',
  ERR_PODSTAGE_APP_EXISTS: 'already-exists',
  ERR_PODSTAGE_POD_STATE: 'failed-precondition',
  ERR_PODSTAGE_POD_LOCKED: 'locked',
  ERR_PODSTAGE_STAGE1: 'internal',
  ERR_PODSTAGE_UNSUPPORTED: 'unsupported',
  ERR_PODSTAGE_SYSCALL: 'internal',
  ERR_PODSTAGE_HOST: 'internal',
  ERR_PODSTAGE_NETWORK_CONFIG: 'invalid-argument',
  ERR_PODSTAGE_NETWORK: 'internal',
});

export const errorKind = (err: unknown): ErrorKind => (isPodstageError(err) ? ERROR_KINDS[err.code] : 'internal');

/** One line for any error, the same in every program: the message, then `; hint`. */
export function formatError(err: unknown): string {
  if (isPodstageError(err)) return err.hint === undefined || err.hint === '' ? err.message : `${err.message}; ${err.hint}`;
  return err instanceof Error ? err.message : String(err);
}

/** errno-style failure of one operation on one object, crun's `{op, path, errno}`. */
export function syscallError(op: string, object: string, errno: number | string, hint?: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_SYSCALL', `${op} \`${object}\`: ${errno}`, hint === undefined ? {} : { hint });
}
