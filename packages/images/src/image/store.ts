/**
 * The image store under `<dataDir>/images`:
 *
 *   blobs/sha256/<hex>       content-addressed blobs (manifests, configs, layers)
 *   meta/<hex>.json          one ImageRecord per image, <hex> of the manifest digest
 *   refs/<encoded name>      one file per name, holding the image id
 *   trees/<hex>/rootfs       rendered rootfs, read-only by convention
 *
 * Every file appears by rename, so readers never see half of anything.
 * Changes to records and names (read, modify, write) hold a flock on meta/
 * (ImageRecords.locked), so concurrent commands never lose each other's
 * names; `gcOrphans` reaps what crashed processes leave behind.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PodstageError } from '@podstage/contract/errors';
import { imagesDir, tmpDir } from '@podstage/contract/paths';
import { BlobStaging } from './blob-writer.js';
import { assertExpected, isDigest, parseDigest, SHA256_PREFIX, type DigestAndSize } from './digest.js';
import { isErrno, ownedTempName, STORE_TEMP_PREFIX } from './fs-util.js';
import { normalizeImageName, withLatestTag } from './names.js';
import { parseRunConfig } from './run-config.js';
import { ImageRecords } from './store-records.js';
import { collectGarbage, type GcOptions, type GcResult } from './store-gc.js';
import { removeTree, TreeRenderer } from './store-trees.js';
import type { ImageRecord, ImageRunConfig } from './types.js';

/** What an importer hands to `addImage`; sizes and timestamps are filled in by the store. */
export interface NewImage {
  id: string;
  mediaType: string;
  configDigest: string;
  layers: ImageRecord['layers'];
  names?: string[];
  repoDigests?: string[];
  source: string;
}

export interface RemoveResult {
  id: string;
  names: string[];
  blobsRemoved: string[];
}

/** A repository's digest replaces the one it gave before (a tag moved to a new index of the same image). */
function repoDigestsOf(existing: ImageRecord | undefined, image: NewImage): { repoDigests?: string[] } {
  const given = image.repoDigests ?? [];
  const repositoryOf = (d: string) => d.slice(0, d.lastIndexOf('@'));
  const kept = (existing?.repoDigests ?? []).filter((d) => !given.some((g) => repositoryOf(g) === repositoryOf(d)));
  const all = [...kept, ...given];
  return all.length === 0 ? {} : { repoDigests: all };
}

const ID_PREFIX_PATTERN = /^(?:sha256:)?([0-9a-f]{12,64})$/;

const MARK_USED_EVERY_MS = 60_000;

export class ImageStore {
  readonly dataDir: string;
  readonly root: string;
  readonly blobsDir: string;
  readonly metaDir: string;
  readonly refsDir: string;
  readonly treesDir: string;
  readonly tempRoot: string;
  readonly #trees: TreeRenderer;
  readonly #records: ImageRecords;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.root = imagesDir(dataDir);
    this.blobsDir = join(this.root, 'blobs', 'sha256');
    this.metaDir = join(this.root, 'meta');
    this.refsDir = join(this.root, 'refs');
    this.treesDir = join(this.root, 'trees');
    this.tempRoot = tmpDir(dataDir);
    // 0700: rendered trees hold setuid binaries that host users must not reach.
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    for (const dir of [this.blobsDir, this.metaDir, this.refsDir, this.treesDir]) mkdirSync(dir, { recursive: true });
    mkdirSync(this.tempRoot, { recursive: true, mode: 0o700 });
    this.#records = new ImageRecords(this.metaDir, this.refsDir);
    this.#trees = new TreeRenderer(this.treesDir, (id) => this.get(id), (digest) => this.blobPath(digest));
  }

  // ---- blobs ----

  blobPath(digest: string): string {
    return join(this.blobsDir, parseDigest(digest).hex);
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  /**
   * True when the store holds the blob `descriptor` names. Stored bytes were
   * verified when they came in, so a descriptor whose size disagrees with
   * them is wrong and refused, as it would be when the blob is downloaded.
   */
  hasBlobFor(descriptor: DigestAndSize, what: string): boolean {
    const size = this.#storedSize(descriptor.digest);
    if (size === undefined) return false;
    assertExpected(what, { digest: descriptor.digest, size }, descriptor);
    return true;
  }

  /** A private staging area for an import; blobs become visible on `commit()`. */
  beginStaging(): Promise<BlobStaging> {
    return BlobStaging.create(this.tempRoot, this.blobsDir);
  }

  /** A fresh temp directory under `tmpDir(dataDir)`, reclaimed by gcOrphans if we die. */
  async makeTempDir(prefix: string): Promise<string> {
    const dir = join(this.tempRoot, ownedTempName(`${STORE_TEMP_PREFIX}${prefix}`));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async putBlobFromStream(source: Readable | AsyncIterable<Buffer>, expectedDigest?: string, expectedSize?: number): Promise<DigestAndSize> {
    const staging = await this.beginStaging();
    try {
      const what = expectedDigest === undefined ? 'blob' : `blob ${expectedDigest}`;
      const result = await staging.putStream(source, { digest: expectedDigest, size: expectedSize }, what);
      await staging.commit();
      return result;
    } finally {
      await staging.discard();
    }
  }

  async putBlobFromFile(path: string, expectedDigest?: string, expectedSize?: number): Promise<DigestAndSize> {
    const staging = await this.beginStaging();
    try {
      const result = await staging.putFile(path, { digest: expectedDigest, size: expectedSize }, `\`${path}\``);
      await staging.commit();
      return result;
    } finally {
      await staging.discard();
    }
  }

  // ---- records and names ----

  #storedSize(digest: string): number | undefined {
    try {
      return statSync(this.blobPath(digest)).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  #blobSize(digest: string, what: string): number {
    const size = this.#storedSize(digest);
    if (size !== undefined) return size;
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what} blob ${digest} is not in the store, expected it to be imported before the image record`);
  }

  /** Records an image whose blobs are all in the store, then points its names at it. */
  addImage(image: NewImage): ImageRecord {
    const size =
      this.#blobSize(image.id, 'manifest') +
      this.#blobSize(image.configDigest, 'config') +
      image.layers.reduce((sum, layer) => sum + this.#blobSize(layer.digest, 'layer'), 0);
    const names = (image.names ?? []).map((name) => normalizeImageName(name));
    return this.#records.locked(() => {
      const existing = this.#records.read(image.id);
      const record: ImageRecord = {
        id: image.id,
        names: [...new Set([...(existing?.names ?? []), ...names])],
        ...repoDigestsOf(existing, image),
        mediaType: image.mediaType,
        configDigest: image.configDigest,
        layers: image.layers,
        size,
        source: image.source,
        importedAt: existing?.importedAt ?? new Date().toISOString(),
        ...(existing?.lastUsedAt === undefined ? {} : { lastUsedAt: existing.lastUsedAt }),
      };
      this.#records.write(record);
      for (const name of names) this.#records.tag(name, this.get(record.id));
      return this.get(record.id);
    });
  }

  get(id: string): ImageRecord {
    const record = isDigest(id) ? this.#records.read(id) : undefined;
    if (record === undefined) throw notFound(id);
    return record;
  }

  /** All images, oldest import first. */
  list(): ImageRecord[] {
    return this.#records.list().sort((a, b) => a.importedAt.localeCompare(b.importedAt));
  }

  /** All names and the image id each points at. */
  refs(): Map<string, string> {
    return this.#records.refs();
  }

  /** Points `name` at image `id`, taking it away from the image that had it. */
  tag(name: string, id: string): void {
    this.#records.locked(() => this.#records.tag(name, this.get(id)));
  }

  /** Image by full name, name without `:latest`, `sha256:<hex>`, or unique id prefix (≥ 12 hex). */
  resolve(ref: string): ImageRecord {
    const trimmed = ref.trim();
    if (isDigest(trimmed) && this.#records.read(trimmed) !== undefined) return this.get(trimmed);
    const latest = withLatestTag(trimmed);
    const byName = this.#records.readRef(trimmed) ?? (latest === undefined ? undefined : this.#records.readRef(latest));
    if (byName !== undefined) return this.get(byName);
    const prefix = ID_PREFIX_PATTERN.exec(trimmed)?.[1];
    if (prefix !== undefined) {
      const matches = this.#records.ids().filter((id) => id.startsWith(SHA256_PREFIX + prefix));
      if (matches.length > 1) {
        throw new PodstageError('ERR_PODSTAGE_IMAGE', `image reference \`${ref}\` matches ${matches.length} images, expected a unique id prefix`, {
          hint: 'use more hex digits or the full `sha256:` id',
        });
      }
      const only = matches[0];
      if (only !== undefined) return this.get(only);
    }
    throw notFound(ref);
  }

  runConfig(id: string): ImageRunConfig {
    const record = this.get(id);
    const path = this.blobPath(record.configDigest);
    return parseRunConfig(readFileSync(path, 'utf8'), `config blob ${record.configDigest} of image ${record.id}`);
  }

  /**
   * Record that a pod uses the image now. At most once a minute: the record is written durably
   * (two fsyncs), and `image gc`'s cut-offs are hours.
   */
  markUsed(id: string): void {
    const last = Date.parse(this.get(id).lastUsedAt ?? '');
    if (Date.now() - last < MARK_USED_EVERY_MS) return;
    this.#records.locked(() => this.#records.write({ ...this.get(id), lastUsedAt: new Date().toISOString() }));
  }

  // ---- trees, removal, gc ----

  /** Path of the image's rendered rootfs, rendering it first if needed. */
  treePath(id: string): Promise<string> {
    return this.#trees.treePath(this.get(id).id);
  }

  /**
   * Removes the image with all its names, its tree and every blob no other
   * image references. Refuses while `isInUse(id)` says a pod uses it.
   */
  async remove(idOrRef: string, isInUse: (id: string) => boolean): Promise<RemoveResult> {
    const record = isDigest(idOrRef) ? this.get(idOrRef) : this.resolve(idOrRef);
    if (isInUse(record.id)) {
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `image ${record.id} is used by a pod, expected no pod to reference it`, {
        hint: 'remove the pods that use it first',
      });
    }
    const removed = this.#records.locked(() => {
      const names = this.#records.read(record.id)?.names ?? record.names;
      this.#records.removeRefsTo(record.id);
      this.#records.remove(record.id);
      // Under the lock, so a blob an image recorded meanwhile shares is kept.
      const stillReferenced = this.referencedBlobs();
      const blobsRemoved: string[] = [];
      for (const digest of [record.id, record.configDigest, ...record.layers.map((l) => l.digest)]) {
        if (stillReferenced.has(digest) || blobsRemoved.includes(digest)) continue;
        rmSync(this.blobPath(digest), { force: true });
        blobsRemoved.push(digest);
      }
      return { id: record.id, names, blobsRemoved };
    });
    await removeTree(this.treesDir, parseDigest(record.id).hex);
    return removed;
  }

  /** Digests of every blob some image record needs. */
  referencedBlobs(): Set<string> {
    const digests = new Set<string>();
    for (const record of this.list()) {
      digests.add(record.id);
      digests.add(record.configDigest);
      for (const layer of record.layers) digests.add(layer.digest);
    }
    return digests;
  }

  /** Removes abandoned temp files, trees without a record and unreferenced blobs. */
  gcOrphans(options: GcOptions = {}): Promise<GcResult> {
    return collectGarbage(this, options);
  }
}

function notFound(ref: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_IMAGE_NOT_FOUND', `image \`${ref}\` not found, expected a name, \`sha256:\` id or id prefix of at least 12 hex digits`, {
    hint: 'import it first (from `oci:`, `oci-archive:` or `docker-archive:`) or check the name against the stored images',
  });
}

export type { GcOptions, GcResult } from './store-gc.js';
