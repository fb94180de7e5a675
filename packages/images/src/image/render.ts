/**
 * Renders image layers into a directory: node-tar parses, LayerApplier
 * writes (tar.x is not used: its path checks are not overlay semantics and
 * do not resolve symlinks inside the rootfs).
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { isPodstageError, PodstageError } from '@podstage/contract/errors';
import { layerCompression, sniffFileCompression } from './media-types.js';
import { LayerApplier } from './render-apply.js';

export interface LayerSource {
  path: string;
  mediaType: string;
}

export interface RenderResult {
  /** Entries skipped on purpose (device nodes, unsupported types). */
  warnings: string[];
}

function withContext(err: unknown, what: string, entryPath: string | undefined): PodstageError {
  const where = entryPath === undefined ? what : `${what}, entry \`${entryPath}\``;
  if (isPodstageError(err)) {
    if (err.message.startsWith(what)) return err;
    return new PodstageError(err.code, `${where}: ${err.message}`, { hint: err.hint, cause: err });
  }
  const code = (err as { code?: unknown }).code === 'ERR_PODSTAGE_UNSAFE_PATH' ? 'ERR_PODSTAGE_UNSAFE_PATH' : 'ERR_PODSTAGE_IMAGE';
  const message = err instanceof Error ? err.message : String(err);
  return new PodstageError(code, `${where}: ${message}`, { cause: err });
}

function renderLayer(layer: LayerSource, root: string, warnings: string[]): Promise<void> {
  const what = `layer \`${layer.path}\``;
  layerCompression(layer.mediaType, what);
  sniffFileCompression(layer.path, what);
  const applier = new LayerApplier(root, what, warnings);
  // strict: a bad checksum or truncated archive is an error, not a warning.
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  const input = createReadStream(layer.path);

  return new Promise<void>((resolvePromise, reject) => {
    let failed = false;
    let currentEntry: string | undefined;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      applier.abort();
      input.unpipe(parser);
      input.destroy();
      reject(withContext(err, what, currentEntry));
    };
    parser.on('entry', (entry: ReadEntry) => {
      if (failed) {
        entry.resume();
        return;
      }
      currentEntry = entry.path;
      let consumes = false;
      try {
        consumes = applier.apply(entry, fail);
      } catch (err) {
        fail(err);
      }
      if (!consumes) entry.resume();
    });
    parser.on('error', (err: unknown) => fail(err));
    parser.on('end', () => {
      if (failed) return;
      currentEntry = undefined;
      try {
        applier.finish();
        resolvePromise();
      } catch (err) {
        fail(err);
      }
    });
    input.on('error', fail);
    input.pipe(parser);
  });
}

/** Applies `layers` in order onto `targetDir` (which must exist), with OCI whiteouts. */
export async function renderLayers(layers: LayerSource[], targetDir: string): Promise<RenderResult> {
  const root = resolve(targetDir);
  const warnings: string[] = [];
  for (const layer of layers) await renderLayer(layer, root, warnings);
  return { warnings };
}
