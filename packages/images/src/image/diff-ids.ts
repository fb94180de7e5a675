/**
 * `rootfs.diff_ids` of an image config: the digest of each layer's
 * uncompressed tar, in manifest order. Import and pull check every layer
 * against it before anything is committed, so a stored image's config
 * always describes the layers it is rendered from.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PodstageError } from '@podstage/contract/errors';
import { isDigest, Sha256Counter } from './digest.js';
import { sniffFileCompression } from './media-types.js';
import { parseJson } from './oci-types.js';

/** A layer blob on disk; `what` names it in errors. */
export interface LayerFile {
  path: string;
  what: string;
}

/** The config's diff_ids, refused unless there is one `sha256:` digest per layer. */
export function expectedDiffIds(configText: string, layerCount: number, configWhat: string): string[] {
  const ids = (parseJson(configText, configWhat) as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && isDigest(id))) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${configWhat}: field \`rootfs.diff_ids\` must be an array of \`sha256:\` digests, one per layer`);
  }
  if (ids.length !== layerCount) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${configWhat}: ${ids.length} rootfs.diff_ids, expected one per layer of the manifest (${layerCount})`);
  }
  return ids as string[];
}

/** sha256 of the layer's tar after decompression (compression sniffed, as the renderer does). */
export async function uncompressedDigest(layer: LayerFile): Promise<string> {
  const compression = sniffFileCompression(layer.path, layer.what);
  const counter = new Sha256Counter();
  const hash = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) counter.update(chunk);
  };
  try {
    const input = createReadStream(layer.path);
    await (compression === 'gzip' ? pipeline(input, createGunzip(), hash) : pipeline(input, hash));
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${layer.what}: cannot decompress it (${(err as Error).message}), expected a tar or a gzip-compressed tar`, { cause: err });
  }
  return counter.result().digest;
}

/** Checks each layer's uncompressed digest against `diffIds` (same order, see expectedDiffIds). */
export async function verifyDiffIds(layers: LayerFile[], diffIds: string[], configWhat: string): Promise<void> {
  const known = new Map<string, string>();
  for (const [i, layer] of layers.entries()) {
    const actual = known.get(layer.path) ?? (await uncompressedDigest(layer));
    known.set(layer.path, actual);
    if (actual !== diffIds[i]) {
      throw new PodstageError(
        'ERR_PODSTAGE_DIGEST',
        `${layer.what} (layers[${i}]): uncompressed digest is ${actual}, expected rootfs.diff_ids[${i}] ${diffIds[i]} from ${configWhat}`,
        { hint: 'the image config does not describe its layers: the image is corrupt or was tampered with' },
      );
    }
  }
}
