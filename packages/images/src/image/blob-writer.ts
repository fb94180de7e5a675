/**
 * Writing blobs so that a blob in the store is either complete and correct
 * or absent: bytes go to a temp file on the store's filesystem, are hashed on
 * the way, fsynced, checked, and only then renamed into `blobs/sha256/`.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PodstageError } from '@podstage/contract/errors';
import { assertExpected, parseDigest, Sha256Counter, type DigestAndSize, type ExpectedContent } from './digest.js';
import { fsyncDir, ownedTempName, STORE_TEMP_PREFIX } from './fs-util.js';

/** Stream `source` into a new file at `path` (fsynced), hashing it; checks `expected`. */
export async function writeVerifiedFile(
  source: Readable | AsyncIterable<Buffer> | Iterable<Buffer>,
  path: string,
  expected: ExpectedContent,
  what: string,
): Promise<DigestAndSize> {
  if (expected.digest !== undefined) parseDigest(expected.digest, `expected digest of ${what}`);
  const counter = new Sha256Counter();
  const handle = await open(path, 'wx', 0o644);
  try {
    for await (const chunk of source) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      counter.update(buffer);
      // Stop early on an oversized source instead of filling the disk.
      if (expected.size !== undefined && counter.bytes > expected.size) break;
      await handle.write(buffer);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  const actual = counter.result();
  assertExpected(what, actual, expected);
  return actual;
}

/**
 * Verified blobs held back in a private directory until `commit`, so a failed
 * import leaves nothing in the store. `discard` is always safe to call.
 */
export class BlobStaging {
  readonly #staged = new Map<string, string>();

  constructor(
    readonly dir: string,
    private readonly blobsDir: string,
  ) {}

  static async create(tmpRoot: string, blobsDir: string): Promise<BlobStaging> {
    const dir = join(tmpRoot, ownedTempName(`${STORE_TEMP_PREFIX}import`));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new BlobStaging(dir, blobsDir);
  }

  async putStream(source: Readable | AsyncIterable<Buffer> | Iterable<Buffer>, expected: ExpectedContent, what: string): Promise<DigestAndSize> {
    const temp = join(this.dir, ownedTempName('blob'));
    try {
      const actual = await writeVerifiedFile(source, temp, expected, what);
      const hex = parseDigest(actual.digest).hex;
      if (this.#staged.has(hex)) await rm(temp, { force: true });
      else this.#staged.set(hex, temp);
      return actual;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async putFile(path: string, expected: ExpectedContent, what: string): Promise<DigestAndSize> {
    try {
      await stat(path);
    } catch (err) {
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: cannot read \`${path}\` (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    return this.putStream(createReadStream(path), expected, what);
  }

  putBytes(data: Buffer, expected: ExpectedContent, what: string): Promise<DigestAndSize> {
    return this.putStream([data], expected, what);
  }

  /** Path of a staged blob (before commit), for reading configs during import. */
  stagedPath(digest: string): string | undefined {
    return this.#staged.get(parseDigest(digest).hex);
  }

  /** Where this import reads a blob before commit: its staged copy, else the store's. */
  readPath(digest: string): string {
    const hex = parseDigest(digest).hex;
    return this.#staged.get(hex) ?? join(this.blobsDir, hex);
  }

  /** Move every staged blob into the store; blobs already there are kept as they are. */
  async commit(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    const now = new Date();
    for (const [hex, temp] of this.#staged) {
      const target = join(this.blobsDir, hex);
      if (await exists(target)) continue;
      // Fresh mtime: gcOrphans spares recent unreferenced blobs (an import between commit and addImage).
      await utimes(temp, now, now);
      await rename(temp, target);
    }
    this.#staged.clear();
    await fsyncDir(this.blobsDir);
  }

  async discard(): Promise<void> {
    this.#staged.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
