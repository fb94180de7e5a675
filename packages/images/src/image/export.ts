/**
 * Export an image from the store as an oci-archive (a tar of an OCI image
 * layout), byte-identical blobs so the image keeps its ID when imported again.
 */
import { copyFileSync, linkSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PodstageError } from '@podstage/contract';
import type { ImageStore } from './store.js';
import type { ImageRecord } from './types.js';

function placeBlob(store: ImageStore, digest: string, layoutDir: string): void {
  const target = join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  try {
    linkSync(store.blobPath(digest), target);
  } catch {
    copyFileSync(store.blobPath(digest), target);
  }
}

/** The full name when it carries a tag, so importing the archive again restores the name. */
function refName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const at = name.lastIndexOf(':');
  return at > name.lastIndexOf('/') ? name : undefined;
}

export async function exportOciArchive(store: ImageStore, record: ImageRecord, file: string): Promise<void> {
  const layout = await store.makeTempDir('export');
  const partial = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  try {
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    for (const digest of [record.id, record.configDigest, ...record.layers.map((l) => l.digest)]) placeBlob(store, digest, layout);
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const ref = refName(record.names[0]);
    const manifestSize = statSync(store.blobPath(record.id)).size;
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{
        mediaType: record.mediaType, digest: record.id, size: manifestSize,
        ...(ref === undefined ? {} : { annotations: { 'org.opencontainers.image.ref.name': ref } }),
      }],
    };
    writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
    const tar = await import('tar');
    await tar.create({ file: partial, cwd: layout, portable: true, noMtime: true }, ['oci-layout', 'index.json', 'blobs']);
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `exporting ${record.id} to ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}
