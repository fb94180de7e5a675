/**
 * Import from an extracted `docker save` archive: `manifest.json` lists
 * Config, RepoTags and Layers per image. It becomes an OCI manifest we
 * generate; the image id is the digest of that manifest.
 *
 * docker save has no digests of its own for the legacy layout, but file names
 * often are digests (`<config hex>.json`, `blobs/sha256/<hex>`) and the config's
 * rootfs.diff_ids are the digests of uncompressed layers: all are checked.
 */
import { readFile } from 'node:fs/promises';
import { PodstageError } from '@podstage/contract/errors';
import { secureJoin } from '@podstage/linux';
import type { BlobStaging } from './blob-writer.js';
import { expectedDiffIds, verifyDiffIds } from './diff-ids.js';
import { SHA256_PREFIX, sha256Digest } from './digest.js';
import { MEDIA_TYPE, ociLayerMediaType, sniffFileCompression } from './media-types.js';
import { normalizeImageName } from './names.js';
import { readJsonFile, type ImageManifest } from './oci-types.js';
import { parseRunConfig } from './run-config.js';
import type { ImageStore } from './store.js';
import type { ImageRecord } from './types.js';

interface DockerManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export interface DockerArchiveImportRequest {
  archiveDir: string;
  ref: string | undefined;
  source: string;
  name: string | undefined;
}

function invalid(what: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: ${expectation}`);
}

function parseEntries(value: unknown, what: string): DockerManifestEntry[] {
  if (!Array.isArray(value)) throw invalid(what, 'expected a JSON array of {Config, RepoTags, Layers}');
  return value.map((raw: unknown, i) => {
    const entry = raw as Partial<Record<keyof DockerManifestEntry, unknown>> | null;
    const at = `${what}[${i}]`;
    if (typeof entry?.Config !== 'string') throw invalid(at, 'field `Config` must be a string');
    if (!Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) throw invalid(at, 'field `Layers` must be an array of strings');
    const tags = entry.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw invalid(at, 'field `RepoTags` must be an array of strings or null');
    for (const tag of tags) normalizeImageName(tag, `${at} RepoTags entry`, 'ERR_PODSTAGE_IMAGE');
    return { Config: entry.Config, RepoTags: tags, Layers: entry.Layers };
  });
}

function selectEntry(entries: DockerManifestEntry[], ref: string | undefined, what: string): DockerManifestEntry {
  const available = entries.flatMap((e) => e.RepoTags).join(', ') || 'untagged images only';
  if (ref !== undefined) {
    const wanted = normalizeImageName(ref);
    const match = entries.find((e) => e.RepoTags.some((tag) => normalizeImageName(tag) === wanted));
    if (match === undefined) throw new PodstageError('ERR_PODSTAGE_IMAGE_NOT_FOUND', `${what}: no image tagged \`${ref}\`, expected one of: ${available}`);
    return match;
  }
  const [only, ...rest] = entries;
  if (only === undefined) throw invalid(what, 'no images, expected at least one');
  if (rest.length > 0) {
    throw invalid(what, `${entries.length} images, expected a reference to pick one of: ${available}`);
  }
  return only;
}

/** `blobs/sha256/<hex>` or `<hex>.json`: the file name is a digest we can check. */
function digestFromFileName(path: string): string | undefined {
  const match = /(?:^|\/)blobs\/sha256\/([0-9a-f]{64})$/.exec(path) ?? /^([0-9a-f]{64})\.json$/.exec(path);
  return match?.[1] === undefined ? undefined : SHA256_PREFIX + match[1];
}

export async function importDockerArchive(store: ImageStore, staging: BlobStaging, request: DockerArchiveImportRequest): Promise<ImageRecord> {
  const inArchive = (path: string) => secureJoin(request.archiveDir, path);
  const manifestWhat = `docker archive \`${request.source}\` manifest.json`;
  const entry = selectEntry(parseEntries(readJsonFile(inArchive('manifest.json'), manifestWhat), manifestWhat), request.ref, manifestWhat);

  const configPath = inArchive(entry.Config);
  const configWhat = `config \`${entry.Config}\``;
  const config = await staging.putFile(configPath, { digest: digestFromFileName(entry.Config) }, configWhat);
  const configText = await readFile(configPath, 'utf8');
  parseRunConfig(configText, configWhat);
  const diffIds = expectedDiffIds(configText, entry.Layers.length, configWhat);

  const layers: ImageRecord['layers'] = [];
  const layerFiles: { path: string; what: string }[] = [];
  for (const layerPath of entry.Layers) {
    const what = `layer \`${layerPath}\``;
    const path = inArchive(layerPath);
    const compression = sniffFileCompression(path, what);
    const blob = await staging.putFile(path, { digest: digestFromFileName(layerPath) }, what);
    layers.push({ digest: blob.digest, mediaType: ociLayerMediaType(compression), size: blob.size });
    layerFiles.push({ path: staging.readPath(blob.digest), what });
  }
  await verifyDiffIds(layerFiles, diffIds, configWhat);

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: { mediaType: MEDIA_TYPE.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const id = sha256Digest(manifestBytes);
  await staging.putBytes(manifestBytes, { digest: id }, `generated manifest ${id}`);
  await staging.commit();

  const names = request.name !== undefined ? [request.name] : request.ref !== undefined ? [request.ref] : entry.RepoTags;
  return store.addImage({ id, mediaType: MEDIA_TYPE.ociManifest, configDigest: config.digest, layers, names, source: request.source });
}
