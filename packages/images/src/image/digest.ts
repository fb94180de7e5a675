/**
 * Content digests, `sha256:<64 hex>` only (the OCI spec's one required
 * algorithm). Anything that becomes a path component goes through
 * `parseDigest` first, so a digest can never smuggle `/` or `..` into a path.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { PodstageError } from '@podstage/contract/errors';

export const SHA256_PREFIX = 'sha256:';
const SHA256_PATTERN = /^sha256:([0-9a-f]{64})$/;

export interface ParsedDigest {
  algorithm: 'sha256';
  hex: string;
}

export interface DigestAndSize {
  digest: string;
  size: number;
}

/** `what` names the field or file the digest came from, for the error message. */
export function parseDigest(digest: string, what = 'digest'): ParsedDigest {
  const match = SHA256_PATTERN.exec(digest);
  if (match?.[1] !== undefined) return { algorithm: 'sha256', hex: match[1] };
  const algorithm = digest.includes(':') ? digest.slice(0, digest.indexOf(':')) : '';
  const expectation =
    algorithm !== '' && algorithm !== 'sha256'
      ? `only sha256 is supported, got algorithm \`${algorithm}\``
      : 'expected `sha256:` followed by 64 lower-case hex digits';
  throw new PodstageError('ERR_PODSTAGE_DIGEST', `${what} \`${digest}\`: ${expectation}`);
}

export function isDigest(value: string): boolean {
  return SHA256_PATTERN.test(value);
}

export function digestHex(digest: string, what?: string): string {
  return parseDigest(digest, what).hex;
}

export function sha256Digest(data: Buffer | string): string {
  return SHA256_PREFIX + createHash('sha256').update(data).digest('hex');
}

/** Pass-through stream that hashes and counts what flows through it. */
export class DigestingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #bytes = 0;
  #digest: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = SHA256_PREFIX + this.#hash.digest('hex');
    callback();
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Valid once the stream has ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new Error('DigestingStream.digest read before the stream ended');
    return this.#digest;
  }
}

/** Incremental hasher for code that writes chunks itself. */
export class Sha256Counter {
  readonly #hash: Hash = createHash('sha256');
  bytes = 0;

  update(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
  }

  result(): DigestAndSize {
    return { digest: SHA256_PREFIX + this.#hash.digest('hex'), size: this.bytes };
  }
}

export async function digestFile(path: string): Promise<DigestAndSize> {
  const counter = new Sha256Counter();
  for await (const chunk of createReadStream(path)) counter.update(chunk as Buffer);
  return counter.result();
}

export interface ExpectedContent {
  digest?: string | undefined;
  size?: number | undefined;
}

/**
 * Throws ERR_PODSTAGE_DIGEST when `actual` is not what was expected; `what`
 * names the blob or file being checked.
 */
export function assertExpected(what: string, actual: DigestAndSize, expected: ExpectedContent): void {
  if (expected.digest !== undefined && actual.digest !== expected.digest) {
    throw new PodstageError(
      'ERR_PODSTAGE_DIGEST',
      `${what}: content digest is ${actual.digest}, expected ${expected.digest}`,
      { hint: 'the source is corrupt or was modified; fetch it again' },
    );
  }
  if (expected.size !== undefined && actual.size !== expected.size) {
    throw new PodstageError(
      'ERR_PODSTAGE_DIGEST',
      `${what}: size is ${actual.size} bytes, expected ${expected.size} bytes${expected.digest === undefined ? '' : ` for ${expected.digest}`}`,
      { hint: 'the source is truncated or was modified; fetch it again' },
    );
  }
}

/** Hash a file and check it against the expected digest and size. */
export async function verifyFile(path: string, expected: ExpectedContent, what = `\`${path}\``): Promise<DigestAndSize> {
  if (expected.digest !== undefined) parseDigest(expected.digest, `expected digest of ${what}`);
  const actual = await digestFile(path);
  assertExpected(what, actual, expected);
  return actual;
}
