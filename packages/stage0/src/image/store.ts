/**
 * The image store under `<dataDir>/images`:
 *
 *   blobs/sha256/<hex>       content-addressed blobs (manifests, configs, layers)
 *   meta/<hex>.json          one ImageRecord per image, <hex> of the manifest digest
 *   refs/<encoded name>      one file per name, holding the image id
 *   trees/<hex>/rootfs       rendered rootfs, read-only by convention
 *
 * Every file appears by rename, so readers never see half of anything. There
 * is no cross-process lock: two processes changing the same name race, the
 * last rename wins, and `gcOrphans` reconciles leftovers.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PodstageError } from '@podstage/contract/errors';
import { imagesDir, tmpDir } from '@podstage/contract/paths';
import { BlobStaging } from './blob-writer.js';
import { isDigest, parseDigest, SHA256_PREFIX, type DigestAndSize } from './digest.js';
import { isErrno, ownedTempName, STORE_TEMP_PREFIX, writeFileAtomicSync } from './fs-util.js';
import { nameFromRefFile, normalizeImageName, refFileName, withLatestTag } from './names.js';
import { parseRunConfig } from './run-config.js';
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
  source: string;
}

export interface RemoveResult {
  id: string;
  names: string[];
  blobsRemoved: string[];
}

const ID_PREFIX_PATTERN = /^(?:sha256:)?([0-9a-f]{12,64})$/;

export class ImageStore {
  readonly dataDir: string;
  readonly root: string;
  readonly blobsDir: string;
  readonly metaDir: string;
  readonly refsDir: string;
  readonly treesDir: string;
  readonly tempRoot: string;
  readonly #trees: TreeRenderer;

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
    this.#trees = new TreeRenderer(this.treesDir, (id) => this.get(id), (digest) => this.blobPath(digest));
  }

  // ---- blobs ----

  blobPath(digest: string): string {
    return join(this.blobsDir, parseDigest(digest).hex);
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
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

  #metaPath(id: string): string {
    return join(this.metaDir, `${parseDigest(id, 'image id').hex}.json`);
  }

  #writeRecord(record: ImageRecord): void {
    writeFileAtomicSync(this.#metaPath(record.id), JSON.stringify(record, null, 2) + '\n');
  }

  #readRecord(id: string): ImageRecord | undefined {
    const path = this.#metaPath(id);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as ImageRecord;
    } catch (err) {
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `image record \`${path}\`: not valid JSON, expected an ImageRecord`, { cause: err });
    }
  }

  #blobSize(digest: string, what: string): number {
    try {
      return statSync(this.blobPath(digest)).size;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what} blob ${digest} is not in the store, expected it to be imported before the image record`);
    }
  }

  /** Records an image whose blobs are all in the store, then points its names at it. */
  addImage(image: NewImage): ImageRecord {
    const size =
      this.#blobSize(image.id, 'manifest') +
      this.#blobSize(image.configDigest, 'config') +
      image.layers.reduce((sum, layer) => sum + this.#blobSize(layer.digest, 'layer'), 0);
    const names = (image.names ?? []).map(normalizeImageName);
    const existing = this.#readRecord(image.id);
    const record: ImageRecord = {
      id: image.id,
      names: [...new Set([...(existing?.names ?? []), ...names])],
      mediaType: image.mediaType,
      configDigest: image.configDigest,
      layers: image.layers,
      size,
      source: image.source,
      importedAt: existing?.importedAt ?? new Date().toISOString(),
      ...(existing?.lastUsedAt === undefined ? {} : { lastUsedAt: existing.lastUsedAt }),
    };
    this.#writeRecord(record);
    for (const name of names) this.tag(name, record.id);
    return this.get(record.id);
  }

  get(id: string): ImageRecord {
    const record = isDigest(id) ? this.#readRecord(id) : undefined;
    if (record === undefined) throw notFound(id);
    return record;
  }

  list(): ImageRecord[] {
    return readdirSync(this.metaDir)
      .filter((file) => /^[0-9a-f]{64}\.json$/.test(file))
      .map((file) => this.#readRecord(SHA256_PREFIX + file.slice(0, 64)))
      .filter((record): record is ImageRecord => record !== undefined)
      .sort((a, b) => a.importedAt.localeCompare(b.importedAt));
  }

  #readRef(name: string): string | undefined {
    if (name === '') return undefined;
    try {
      const id = readFileSync(join(this.refsDir, refFileName(name)), 'utf8').trim();
      return isDigest(id) ? id : undefined;
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENAMETOOLONG')) return undefined;
      throw err;
    }
  }

  /** All names and the image id each points at. */
  refs(): Map<string, string> {
    const result = new Map<string, string>();
    for (const file of readdirSync(this.refsDir)) {
      const name = nameFromRefFile(file);
      const id = name === undefined ? undefined : this.#readRef(name);
      if (name !== undefined && id !== undefined) result.set(name, id);
    }
    return result;
  }

  /** Points `name` at image `id`, taking it away from the image that had it. */
  tag(name: string, id: string): void {
    const normalized = normalizeImageName(name);
    const record = this.get(id);
    const previous = this.#readRef(normalized);
    writeFileAtomicSync(join(this.refsDir, refFileName(normalized)), id + '\n');
    if (previous !== undefined && previous !== id) {
      const old = this.#readRecord(previous);
      if (old !== undefined) this.#writeRecord({ ...old, names: old.names.filter((n) => n !== normalized) });
    }
    if (!record.names.includes(normalized)) this.#writeRecord({ ...record, names: [...record.names, normalized] });
  }

  /** Image by full name, name without `:latest`, `sha256:<hex>`, or unique id prefix (≥ 12 hex). */
  resolve(ref: string): ImageRecord {
    const trimmed = ref.trim();
    if (isDigest(trimmed) && existsSync(this.#metaPath(trimmed))) return this.get(trimmed);
    const latest = withLatestTag(trimmed);
    const byName = this.#readRef(trimmed) ?? (latest === undefined ? undefined : this.#readRef(latest));
    if (byName !== undefined) return this.get(byName);
    const prefix = ID_PREFIX_PATTERN.exec(trimmed)?.[1];
    if (prefix !== undefined) {
      const matches = readdirSync(this.metaDir).filter((file) => file.endsWith('.json') && file.startsWith(prefix));
      if (matches.length > 1) {
        throw new PodstageError('ERR_PODSTAGE_IMAGE', `image reference \`${ref}\` matches ${matches.length} images, expected a unique id prefix`, {
          hint: 'use more hex digits or the full `sha256:` id',
        });
      }
      const only = matches[0];
      if (only !== undefined) return this.get(SHA256_PREFIX + only.slice(0, 64));
    }
    throw notFound(ref);
  }

  runConfig(id: string): ImageRunConfig {
    const record = this.get(id);
    const path = this.blobPath(record.configDigest);
    return parseRunConfig(readFileSync(path, 'utf8'), `config blob ${record.configDigest} of image ${record.id}`);
  }

  markUsed(id: string): void {
    const record = this.get(id);
    this.#writeRecord({ ...record, lastUsedAt: new Date().toISOString() });
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
    for (const [name, id] of this.refs()) {
      if (id === record.id) rmSync(join(this.refsDir, refFileName(name)), { force: true });
    }
    rmSync(this.#metaPath(record.id), { force: true });
    await removeTree(this.treesDir, parseDigest(record.id).hex);
    const stillReferenced = this.referencedBlobs();
    const blobsRemoved: string[] = [];
    for (const digest of [record.id, record.configDigest, ...record.layers.map((l) => l.digest)]) {
      if (stillReferenced.has(digest) || blobsRemoved.includes(digest)) continue;
      rmSync(this.blobPath(digest), { force: true });
      blobsRemoved.push(digest);
    }
    return { id: record.id, names: record.names, blobsRemoved };
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
