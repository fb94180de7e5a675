/**
 * Import from an OCI image layout directory (`oci-layout`, `index.json`,
 * `blobs/sha256/…`). Every blob is verified against its descriptor while it
 * is staged; nothing reaches the store unless all of them check out.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract/errors';
import { secureJoin } from '@podstage/linux';
import type { BlobStaging } from './blob-writer.js';
import { expectedDiffIds, verifyDiffIds } from './diff-ids.js';
import { assertExpected, parseDigest, sha256Digest } from './digest.js';
import { INDEX_MEDIA_TYPES, layerCompression, MANIFEST_MEDIA_TYPES, MEDIA_TYPE } from './media-types.js';
import { normalizeImageName } from './names.js';
import {
  hostPlatform,
  MAX_JSON_BYTES,
  parseIndex,
  parseJson,
  parseManifest,
  readJsonFile,
  REF_NAME_ANNOTATION,
  type Descriptor,
} from './oci-types.js';
import { parseRunConfig } from './run-config.js';
import type { ImageStore, NewImage } from './store.js';
import type { ImageRecord } from './types.js';

/** Path of a blob inside a layout; symlinks in the layout stay inside it. */
export function layoutBlobPath(layoutDir: string, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return secureJoin(layoutDir, `blobs/${algorithm}/${hex}`);
}

/** Reads a small JSON blob of the layout, checking digest and size first. */
async function readVerifiedJsonBlob(layoutDir: string, descriptor: Descriptor, what: string): Promise<{ bytes: Buffer; value: unknown }> {
  const path = layoutBlobPath(layoutDir, descriptor.digest);
  const size = await stat(path).then(
    (s) => s.size,
    (err: NodeJS.ErrnoException) => {
      throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: blob ${descriptor.digest} missing from the layout (\`${path}\`: ${err.code})`);
    },
  );
  if (size > MAX_JSON_BYTES) throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: \`${path}\` is ${size} bytes, expected at most ${MAX_JSON_BYTES}`);
  const bytes = await readFile(path);
  assertExpected(`${what} blob \`${path}\``, { digest: sha256Digest(bytes), size: bytes.length }, descriptor);
  return { bytes, value: parseJson(bytes.toString('utf8'), `${what} \`${path}\``) };
}

function refName(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[REF_NAME_ANNOTATION];
}

function selectByRef(manifests: Descriptor[], ref: string | undefined, what: string): Descriptor {
  const available = manifests.map((m) => refName(m) ?? m.digest).join(', ') || 'none';
  if (ref !== undefined) {
    const matches = manifests.filter((m) => refName(m) === ref);
    const match = matches.find((m) => m.platform === undefined || m.platform.architecture === hostPlatform().architecture) ?? matches[0];
    if (match === undefined) {
      throw new PodstageError('ERR_PODSTAGE_IMAGE_NOT_FOUND', `${what}: no manifest with ${REF_NAME_ANNOTATION} \`${ref}\`, expected one of: ${available}`);
    }
    return match;
  }
  const [only, ...rest] = manifests;
  if (only === undefined) throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: no manifests, expected at least one`);
  if (rest.length > 0) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: ${manifests.length} manifests, expected a reference to pick one of: ${available}`, {
      hint: 'append `:REF` to the transport reference, e.g. `oci:DIR:latest`',
    });
  }
  return only;
}

function selectPlatform(manifests: Descriptor[], what: string): Descriptor {
  const want = hostPlatform();
  const match = manifests.find((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
  if (match === undefined) {
    const offered = manifests.map((m) => (m.platform === undefined ? 'unknown' : `${m.platform.os}/${m.platform.architecture}`)).join(', ');
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: no manifest for ${want.os}/${want.architecture}, offered: ${offered || 'none'}`);
  }
  return match;
}

/** `oci-layout` must exist and declare a layout version. */
function checkLayoutMarker(layoutDir: string): void {
  const marker = readJsonFile(secureJoin(layoutDir, 'oci-layout'), `OCI layout \`${layoutDir}\``);
  const version = (marker as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
  if (typeof version !== 'string') {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `\`${join(layoutDir, 'oci-layout')}\`: field \`imageLayoutVersion\` must be a string, expected e.g. "1.0.0"`);
  }
}

export interface LayoutImportRequest {
  layoutDir: string;
  ref: string | undefined;
  source: string;
  /** Explicit name; otherwise the ref annotation when it is a full name. */
  name: string | undefined;
}

/**
 * A ref annotation names the image only when it looks like a full reference
 * (`repo:tag`, `registry/repo`); a bare tag such as `latest` (what
 * `skopeo copy … oci:DIR:TAG` writes) says nothing about the repository.
 * One that does must be a valid name.
 */
function nameFromAnnotation(annotation: string | undefined, what: string): string | undefined {
  if (annotation === undefined || !/[:/]/.test(annotation)) return undefined;
  normalizeImageName(annotation, what, 'ERR_PODSTAGE_IMAGE');
  return annotation;
}

export async function importOciLayout(store: ImageStore, staging: BlobStaging, request: LayoutImportRequest): Promise<ImageRecord> {
  const { layoutDir } = request;
  checkLayoutMarker(layoutDir);
  const indexPath = secureJoin(layoutDir, 'index.json');
  const index = parseIndex(readJsonFile(indexPath, `\`${indexPath}\``), `\`${indexPath}\``);
  const selected = selectByRef(index.manifests, request.ref, `\`${indexPath}\``);
  const name = request.name ?? nameFromAnnotation(refName(selected), `\`${indexPath}\` annotation ${REF_NAME_ANNOTATION}`);

  let manifestDescriptor = selected;
  if (INDEX_MEDIA_TYPES.includes(selected.mediaType)) {
    const nested = await readVerifiedJsonBlob(layoutDir, selected, 'nested image index');
    manifestDescriptor = selectPlatform(parseIndex(nested.value, `nested index ${selected.digest}`).manifests, `nested index ${selected.digest}`);
  }
  const what = `manifest ${manifestDescriptor.digest}`;
  const { bytes, value } = await readVerifiedJsonBlob(layoutDir, manifestDescriptor, 'manifest');
  const manifest = parseManifest(value, what);
  const mediaType = manifest.mediaType ?? manifestDescriptor.mediaType ?? MEDIA_TYPE.ociManifest;
  if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: media type \`${mediaType}\`, expected an OCI or Docker v2 image manifest`);
  }
  // Refuse unsupported layers before copying a single byte.
  manifest.layers.forEach((layer, i) => layerCompression(layer.mediaType, `${what} layers[${i}] (${layer.digest})`));

  await staging.putBytes(bytes, manifestDescriptor, `manifest blob ${manifestDescriptor.digest}`);
  const config = manifest.config;
  const configWhat = `config blob ${config.digest}`;
  await staging.putFile(layoutBlobPath(layoutDir, config.digest), config, configWhat);
  const configText = await readFile(staging.readPath(config.digest), 'utf8');
  parseRunConfig(configText, configWhat);
  const diffIds = expectedDiffIds(configText, manifest.layers.length, configWhat);
  for (const layer of manifest.layers) {
    const layerWhat = `layer blob ${layer.digest}`;
    // Content-addressed: a layer already in the store was verified when it came in.
    if (store.hasBlobFor(layer, layerWhat)) continue;
    await staging.putFile(layoutBlobPath(layoutDir, layer.digest), layer, layerWhat);
  }
  await verifyDiffIds(manifest.layers.map((l) => ({ path: staging.readPath(l.digest), what: `layer blob ${l.digest}` })), diffIds, configWhat);
  await staging.commit();

  const image: NewImage = {
    id: manifestDescriptor.digest,
    mediaType,
    configDigest: config.digest,
    layers: manifest.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
    names: name === undefined ? [] : [name],
    source: request.source,
  };
  return store.addImage(image);
}
