/** Hand-made OCI layouts for image store tests (uncompressed layers from raw tar entries). */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawTar, type RawEntry } from './tar-writer.js';

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface TinyLayout {
  dir: string;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
}

function writeBlob(dir: string, data: Buffer): { digest: string; size: number } {
  const digest = sha256(data);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: data.length };
}

/**
 * One manifest per call; `config` is the whole OCI config object (so tests
 * can leave `config` out to check defaults), given the layers' `rootfs`
 * unless it has its own. `refName` sets the annotation.
 */
export function writeTinyLayout(dir: string, layers: RawEntry[][], options: { config?: object; refName?: string } = {}): TinyLayout {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const tars = layers.map((entries) => rawTar(entries));
  const layerBlobs = tars.map((tar) => writeBlob(dir, tar));
  const config = {
    rootfs: { type: 'layers', diff_ids: layerBlobs.map((l) => l.digest) },
    ...(options.config ?? { architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/true'] } }),
  };
  const configBlob = writeBlob(dir, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: layerBlobs.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
  };
  const manifestBlob = writeBlob(dir, Buffer.from(JSON.stringify(manifest)));
  const descriptor = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...manifestBlob,
    ...(options.refName === undefined ? {} : { annotations: { 'org.opencontainers.image.ref.name': options.refName } }),
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir, manifestDigest: manifestBlob.digest, configDigest: configBlob.digest, layerDigests: layerBlobs.map((l) => l.digest) };
}
