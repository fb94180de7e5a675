/**
 * Rendered rootfs trees, `images/trees/<hex>/rootfs`. A tree is rendered in
 * `trees/.tmp-<pid>-<random>/rootfs` and its parent renamed into place, so a
 * crash or a concurrent reader never sees half a tree; when another renderer
 * won the rename, ours is thrown away.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDigest } from './digest.js';
import { isErrno, ownedTempName } from './fs-util.js';
import type { ImageRecord } from './types.js';

export const TREE_TEMP_PREFIX = '.tmp';

export class TreeRenderer {
  /** Renders in flight in this process, so concurrent callers share one. */
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly treesDir: string,
    private readonly getRecord: (id: string) => ImageRecord,
    private readonly blobPath: (digest: string) => string,
  ) {}

  treePath(id: string): Promise<string> {
    const hex = parseDigest(id, 'image id').hex;
    const rootfs = join(this.treesDir, hex, 'rootfs');
    if (existsSync(rootfs)) return Promise.resolve(rootfs);
    let pending = this.#inFlight.get(hex);
    if (pending === undefined) {
      pending = this.#render(id, hex).finally(() => this.#inFlight.delete(hex));
      this.#inFlight.set(hex, pending);
    }
    return pending;
  }

  async #render(id: string, hex: string): Promise<string> {
    const record = this.getRecord(id);
    const finalDir = join(this.treesDir, hex);
    const tempDir = join(this.treesDir, ownedTempName(TREE_TEMP_PREFIX));
    try {
      await mkdir(join(tempDir, 'rootfs'), { recursive: true, mode: 0o755 });
      const layers = record.layers.map((layer) => ({ path: this.blobPath(layer.digest), mediaType: layer.mediaType }));
      // The renderer (node-tar) loads only when a tree is missing: pod starts from a cached tree skip it.
      const { renderLayers } = await import('./render.js');
      await renderLayers(layers, join(tempDir, 'rootfs'));
      try {
        await rename(tempDir, finalDir);
      } catch (err) {
        // Another renderer got there first: its tree is as good as ours.
        if (!isErrno(err, 'ENOTEMPTY', 'EEXIST') || !existsSync(join(finalDir, 'rootfs'))) throw err;
      }
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
    return join(finalDir, 'rootfs');
  }
}

/** Moves the tree out of the way first so no reader sees a half-deleted tree. */
export async function removeTree(treesDir: string, hex: string): Promise<void> {
  const doomed = join(treesDir, ownedTempName(TREE_TEMP_PREFIX));
  try {
    await rename(join(treesDir, hex), doomed);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  await rm(doomed, { recursive: true, force: true });
}
