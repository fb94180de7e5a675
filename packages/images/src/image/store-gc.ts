/** Garbage collection of the image store's leftovers. */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SHA256_PREFIX } from './digest.js';
import { isAbandonedTemp, STORE_TEMP_PREFIX } from './fs-util.js';
import { removeTree, TREE_TEMP_PREFIX } from './store-trees.js';

export interface GcOptions {
  /**
   * Unreferenced blobs younger than this are kept (default 10 minutes): an
   * import commits its blobs a moment before it writes the image record.
   */
  blobGraceMs?: number;
}

export interface GcResult {
  tempEntries: number;
  trees: number;
  blobs: number;
}

/** What gc needs of the store (store.ts implements it). */
export interface GcTarget {
  readonly tempRoot: string;
  readonly treesDir: string;
  readonly metaDir: string;
  readonly refsDir: string;
  readonly blobsDir: string;
  list(): { id: string }[];
  referencedBlobs(): Set<string>;
}

const DEFAULT_BLOB_GRACE_MS = 10 * 60 * 1000;

/** Temp entries of dead processes: `<prefix>-<pid>-<random>` names, see ownedTempName. */
function removeAbandonedTemps(dir: string, prefix: string): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    if (!isAbandonedTemp(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

export async function collectGarbage(store: GcTarget, options: GcOptions): Promise<GcResult> {
  const graceMs = options.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS;
  const result: GcResult = { tempEntries: 0, trees: 0, blobs: 0 };

  // tmpDir is shared with the rest of podstage: only our own prefix is ours to reap.
  result.tempEntries += removeAbandonedTemps(store.tempRoot, STORE_TEMP_PREFIX);
  result.tempEntries += removeAbandonedTemps(store.treesDir, TREE_TEMP_PREFIX);
  // Atomic-write temps are dot files; real ref and meta files never start with a dot.
  result.tempEntries += removeAbandonedTemps(store.metaDir, '.');
  result.tempEntries += removeAbandonedTemps(store.refsDir, '.');

  const recorded = new Set(store.list().map((record) => record.id.slice(SHA256_PREFIX.length)));
  for (const name of readdirSync(store.treesDir)) {
    if (/^[0-9a-f]{64}$/.test(name) && !recorded.has(name)) {
      await removeTree(store.treesDir, name);
      result.trees += 1;
    }
  }

  const referenced = store.referencedBlobs();
  const now = Date.now();
  for (const name of readdirSync(store.blobsDir)) {
    const path = join(store.blobsDir, name);
    if (!/^[0-9a-f]{64}$/.test(name) || referenced.has(SHA256_PREFIX + name)) continue;
    if (now - statSync(path).mtimeMs < graceMs) continue;
    rmSync(path, { force: true });
    result.blobs += 1;
  }
  return result;
}
