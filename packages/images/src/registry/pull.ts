/**
 * `docker://` pulls into the image store: resolve the platform manifest,
 * let the caller verify it (signatures) before a single layer is fetched,
 * then stage config and layers (three at a time, shared layers skipped) and
 * commit them together, so a failed pull leaves nothing behind.
 */
import { readFile } from 'node:fs/promises';
import { PodstageError } from '@podstage/contract/errors';
import type { BlobStaging } from '../image/blob-writer.js';
import { expectedDiffIds, verifyDiffIds } from '../image/diff-ids.js';
import { layerCompression, MANIFEST_MEDIA_TYPES } from '../image/media-types.js';
import { normalizeImageName } from '../image/names.js';
import { parseJson, parseManifest, type Descriptor, type Platform } from '../image/oci-types.js';
import { parseRunConfig } from '../image/run-config.js';
import type { ImageStore } from '../image/store.js';
import type { ImageRecord } from '../image/types.js';
import { RegistryClient, type RegistryClientOptions } from './client.js';
import type { RegistryEndpoint } from './registries-conf.js';
import { formatReference, parseDockerReference, type DockerReference } from './reference.js';

export type PullProgressKind = 'manifest' | 'layer-start' | 'layer-bytes' | 'layer-done' | 'layer-skip';

export interface PullProgress {
  kind: PullProgressKind;
  digest: string;
  bytes: number;
  total: number;
}

export interface VerifyContext {
  reference: DockerReference;
  /** Digest of the platform manifest about to be pulled. */
  manifestDigest: string;
  manifest: Buffer;
  /** The index it was selected from, when the reference named an index. */
  indexDigest?: string;
  client: RegistryClient;
}

export interface PullOptions extends RegistryClientOptions {
  /** Use this client instead of building one from the options above. */
  client?: RegistryClient;
  /** Name for the image in the store; default: the reference's canonical name. */
  name?: string;
  platform?: Platform;
  /** Runs before any layer is downloaded; throwing aborts the pull with nothing stored. */
  verify?: (ctx: VerifyContext) => Promise<void>;
  onProgress?: (event: PullProgress) => void;
  /** Aborted: no further layer is fetched and nothing is stored (the CRI's PullImage whose client gave up). */
  signal?: AbortSignal;
}

const PARALLEL_DOWNLOADS = 3;

async function inPool<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    // Stop handing out work after the first failure; downloads in flight finish or fail on their own.
    while (!failed && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await run(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

/** An image may list the same layer twice; fetch it once. Both descriptors must give the same size. */
function uniqueByDigest(descriptors: Descriptor[], what: string): Descriptor[] {
  const unique = new Map<string, Descriptor>();
  for (const descriptor of descriptors) {
    const seen = unique.get(descriptor.digest);
    if (seen !== undefined && seen.size !== descriptor.size) {
      throw new PodstageError('ERR_PODSTAGE_DIGEST', `${what}: layer ${descriptor.digest} is listed with sizes ${seen.size} and ${descriptor.size}, expected one size per digest`);
    }
    unique.set(descriptor.digest, descriptor);
  }
  return [...unique.values()];
}

export async function pullImage(store: ImageStore, reference: string | DockerReference, options: PullOptions = {}): Promise<ImageRecord> {
  const ref = typeof reference === 'string' ? parseDockerReference(reference) : reference;
  if (options.name !== undefined) normalizeImageName(options.name);
  const client = options.client ?? new RegistryClient(options);
  const emit = options.onProgress ?? (() => undefined);

  const resolved = await client.resolveManifest(ref, options.platform);
  emit({ kind: 'manifest', digest: resolved.digest, bytes: resolved.bytes.length, total: resolved.bytes.length });
  const what = `manifest ${resolved.digest} of ${formatReference(ref)}`;
  if (!MANIFEST_MEDIA_TYPES.includes(resolved.mediaType)) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${what}: media type \`${resolved.mediaType}\`, expected an OCI or Docker v2 image manifest`);
  }
  const manifest = parseManifest(parseJson(resolved.bytes.toString('utf8'), what), what);
  // Refuse layers the store cannot render before anything is downloaded.
  manifest.layers.forEach((layer, i) => layerCompression(layer.mediaType, `${what} layers[${i}] (${layer.digest})`));
  const layersToFetch = uniqueByDigest(manifest.layers, what);

  if (options.verify !== undefined) {
    await options.verify({
      reference: ref,
      manifestDigest: resolved.digest,
      manifest: resolved.bytes,
      ...(resolved.indexDigest === undefined ? {} : { indexDigest: resolved.indexDigest }),
      client,
    });
  }

  const staging = await store.beginStaging();
  try {
    await staging.putBytes(resolved.bytes, { digest: resolved.digest, size: resolved.bytes.length }, `manifest blob ${resolved.digest}`);
    const configWhat = `config blob ${manifest.config.digest}`;
    const configText = await fetchConfig(store, staging, client, resolved.endpoint, manifest.config);
    const diffIds = expectedDiffIds(configText, manifest.layers.length, configWhat);
    await inPool(layersToFetch, PARALLEL_DOWNLOADS, async (layer) => {
      options.signal?.throwIfAborted();
      const layerWhat = `layer blob ${layer.digest} of ${formatReference(ref)}`;
      // Content-addressed: a blob in the store was verified when it came in.
      if (store.hasBlobFor(layer, layerWhat)) {
        emit({ kind: 'layer-skip', digest: layer.digest, bytes: layer.size, total: layer.size });
        return;
      }
      emit({ kind: 'layer-start', digest: layer.digest, bytes: 0, total: layer.size });
      await client.fetchBlobInto(staging, resolved.endpoint, layer, layerWhat, (bytes, total) =>
        emit({ kind: 'layer-bytes', digest: layer.digest, bytes, total }),
      );
      emit({ kind: 'layer-done', digest: layer.digest, bytes: layer.size, total: layer.size });
    });
    await verifyDiffIds(manifest.layers.map((l) => ({ path: staging.readPath(l.digest), what: `layer blob ${l.digest} of ${formatReference(ref)}` })), diffIds, configWhat);
    options.signal?.throwIfAborted();
    await staging.commit();
  } finally {
    await staging.discard();
  }

  return store.addImage({
    id: resolved.digest,
    mediaType: resolved.mediaType,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l) => ({ digest: l.digest, mediaType: l.mediaType, size: l.size })),
    names: [options.name ?? ref.name],
    repoDigests: [`${ref.registry}/${ref.repository}@${resolved.indexDigest ?? resolved.digest}`],
    source: formatReference(ref),
  });
}

/** The config is small: fetched whole and checked to be a usable image config before the layers come; returns its text. */
async function fetchConfig(store: ImageStore, staging: BlobStaging, client: RegistryClient, endpoint: RegistryEndpoint, config: Descriptor): Promise<string> {
  const what = `config blob ${config.digest}`;
  if (store.hasBlobFor(config, what)) {
    const text = await readFile(store.blobPath(config.digest), 'utf8');
    parseRunConfig(text, what);
    return text;
  }
  const bytes = await client.fetchBlobBytes(endpoint, config, what);
  parseRunConfig(bytes.toString('utf8'), what);
  await staging.putBytes(bytes, config, what);
  return bytes.toString('utf8');
}
