/** OCI and Docker media types the store understands. */
import { closeSync, openSync, readSync } from 'node:fs';
import { PodstageError } from '@podstage/contract/errors';

export const MEDIA_TYPE = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.ociIndex, MEDIA_TYPE.dockerManifestList];
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MEDIA_TYPE.ociManifest, MEDIA_TYPE.dockerManifest];

export type LayerCompression = 'none' | 'gzip';

const LAYER_COMPRESSION: Record<string, LayerCompression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/**
 * Compression of a layer media type, or an error naming it: zstd layers are
 * refused (not implemented yet, see the report), anything else is not a layer.
 */
export function layerCompression(mediaType: string, what: string): LayerCompression {
  const compression = LAYER_COMPRESSION[mediaType];
  if (compression !== undefined) return compression;
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `${what}: zstd-compressed layers (\`${mediaType}\`) are not supported, expected tar or tar+gzip`, {
      hint: 'convert the image, e.g. `skopeo copy --dest-compress-format gzip ...`',
    });
  }
  throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: unknown layer media type \`${mediaType}\`, expected an OCI or Docker tar / tar+gzip layer`);
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Compression by magic bytes, for sources (docker save) that do not say. */
export function sniffCompression(head: Buffer, what: string): LayerCompression {
  const starts = (magic: number[]) => magic.every((byte, i) => head[i] === byte);
  if (starts(ZSTD_MAGIC)) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `${what}: zstd-compressed layer, expected tar or tar+gzip`);
  }
  return starts(GZIP_MAGIC) ? 'gzip' : 'none';
}

/** `sniffCompression` of a file's first bytes. */
export function sniffFileCompression(path: string, what: string): LayerCompression {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(ZSTD_MAGIC.length);
    return sniffCompression(head.subarray(0, readSync(fd, head, 0, head.length, 0)), what);
  } finally {
    closeSync(fd);
  }
}

export function ociLayerMediaType(compression: LayerCompression): string {
  return compression === 'gzip' ? MEDIA_TYPE.ociLayerTarGzip : MEDIA_TYPE.ociLayerTar;
}
