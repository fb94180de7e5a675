/**
 * The store's metadata files: `meta/<hex>.json` (one ImageRecord per image)
 * and `refs/<encoded name>` (one file per name, holding the image id). All
 * writes are atomic renames; read-modify-writes run under `locked`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract/errors';
import { lockDir, type DirLock } from '@podstage/linux';
import { isDigest, parseDigest, SHA256_PREFIX } from './digest.js';
import { isErrno, writeFileAtomicSync } from './fs-util.js';
import { nameFromRefFile, normalizeImageName, refFileName } from './names.js';
import type { ImageRecord } from './types.js';

const META_FILE = /^([0-9a-f]{64})\.json$/;

export class ImageRecords {
  constructor(
    readonly metaDir: string,
    readonly refsDir: string,
  ) {}

  /**
   * Runs `update` (reads, then writes, of records and refs) under an
   * exclusive flock on `meta/`, so concurrent processes never lose each
   * other's changes. `update` is sync: nothing else in this process runs
   * while the lock is held, and the kernel drops it if the process dies.
   */
  locked<T>(update: () => T): T {
    const lock = lockDir(this.metaDir, { wait: true }) as DirLock;
    try {
      return update();
    } finally {
      lock.release();
    }
  }

  metaPath(id: string): string {
    return join(this.metaDir, `${parseDigest(id, 'image id').hex}.json`);
  }

  read(id: string): ImageRecord | undefined {
    const path = this.metaPath(id);
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

  write(record: ImageRecord): void {
    writeFileAtomicSync(this.metaPath(record.id), JSON.stringify(record, null, 2) + '\n');
  }

  remove(id: string): void {
    rmSync(this.metaPath(id), { force: true });
  }

  /** Ids of all recorded images. */
  ids(): string[] {
    return readdirSync(this.metaDir).flatMap((file) => {
      const hex = META_FILE.exec(file)?.[1];
      return hex === undefined ? [] : [SHA256_PREFIX + hex];
    });
  }

  list(): ImageRecord[] {
    return this.ids()
      .map((id) => this.read(id))
      .filter((record): record is ImageRecord => record !== undefined);
  }

  readRef(name: string): string | undefined {
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
      const id = name === undefined ? undefined : this.readRef(name);
      if (name !== undefined && id !== undefined) result.set(name, id);
    }
    return result;
  }

  /** Points `name` at the recorded image `record`, taking it away from the image that had it. */
  tag(name: string, record: ImageRecord): void {
    const normalized = normalizeImageName(name);
    const previous = this.readRef(normalized);
    writeFileAtomicSync(join(this.refsDir, refFileName(normalized)), record.id + '\n');
    if (previous !== undefined && previous !== record.id) {
      const old = this.read(previous);
      if (old !== undefined) this.write({ ...old, names: old.names.filter((n) => n !== normalized) });
    }
    if (!record.names.includes(normalized)) this.write({ ...record, names: [...record.names, normalized] });
  }

  removeRefsTo(id: string): void {
    for (const [name, target] of this.refs()) {
      if (target === id) rmSync(join(this.refsDir, refFileName(name)), { force: true });
    }
  }
}
