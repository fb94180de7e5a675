/**
 * Get an image into the store from any source the CLI accepts, under a pull
 * policy (rkt's): local transports are imported, `docker://` references are
 * pulled from a registry after their signature has been verified, anything
 * else must already be in the store.
 */
import { PodstageError } from '@podstage/contract';
import type { Credentials } from '../registry/auth.js';
import type { PullProgress } from '../registry/pull.js';
import type { ImageStore } from './store.js';
import type { ImageRecord } from './types.js';

export const PULL_POLICIES = ['never', 'new', 'update'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export function parsePullPolicy(value: unknown, fallback: PullPolicy): PullPolicy {
  if (value === undefined) return fallback;
  if ((PULL_POLICIES as readonly unknown[]).includes(value)) return value as PullPolicy;
  throw new PodstageError('ERR_PODSTAGE_USAGE', `--pull-policy: expected never, new or update, got ${JSON.stringify(value)}`);
}

export interface FetchImageOptions {
  pullPolicy: PullPolicy;
  /** Expanded --insecure-options. */
  insecureOptions: ReadonlySet<string>;
  configDir: string;
  authFile?: string | undefined;
  /** Credentials given with this request, for the registry (and repository) of their key only: searched before any file. */
  givenCredentials?: { key: string; credentials: Credentials } | undefined;
  name?: string | undefined;
  /** Called as a pull advances (manifest, each layer's bytes); the caller shows it as it likes. */
  onProgress?: ((event: PullProgress) => void) | undefined;
  log?: (line: string) => void;
  /** Aborted: the pull stops and stores nothing (a CRI client that gave up). */
  signal?: AbortSignal | undefined;
}

const LOCAL_TRANSPORT = /^(oci|oci-archive|docker-archive):/;
const DOCKER_TRANSPORT = 'docker://';

export const isFetchable = (ref: string) => LOCAL_TRANSPORT.test(ref) || ref.startsWith(DOCKER_TRANSPORT);

function tryResolve(store: ImageStore, ref: string): ImageRecord | undefined {
  try {
    return store.resolve(ref);
  } catch (err) {
    if ((err as PodstageError).code === 'ERR_PODSTAGE_IMAGE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** A registry client configured from podstage's config dir, credentials and --insecure-options (http, tls). */
export async function registryClient(o: Pick<FetchImageOptions, 'configDir' | 'authFile' | 'givenCredentials' | 'insecureOptions'>) {
  const { createRegistryClient } = await import('../registry/client.js');
  const insecure = (['http', 'tls'] as const).filter((x) => o.insecureOptions.has(x));
  return createRegistryClient({
    configDir: o.configDir, authFile: o.authFile, insecureOptions: insecure, ...(o.givenCredentials === undefined ? {} : { givenCredentials: o.givenCredentials }),
  });
}

export async function fetchImage(store: ImageStore, ref: string, o: FetchImageOptions): Promise<ImageRecord> {
  if (LOCAL_TRANSPORT.test(ref)) {
    const { importImage } = await import('./import.js');
    return importImage(store, ref, o.name === undefined ? {} : { name: o.name });
  }
  if (!ref.startsWith(DOCKER_TRANSPORT)) {
    const found = tryResolve(store, ref);
    if (found !== undefined) return found;
    throw new PodstageError('ERR_PODSTAGE_IMAGE_NOT_FOUND', `image \`${ref}\` is not in the store`, {
      hint: `pull it with docker://${ref}, import it with oci:DIR, oci-archive:FILE or docker-archive:FILE, or see podstage image list`,
    });
  }
  const { parseDockerReference } = await import('../registry/reference.js');
  const reference = parseDockerReference(ref);
  if (o.pullPolicy !== 'update') {
    const found = tryResolve(store, reference.digest ?? o.name ?? reference.name);
    if (found !== undefined) return found;
    if (o.pullPolicy === 'never') {
      throw new PodstageError('ERR_PODSTAGE_IMAGE_NOT_FOUND', `image ${reference.name} is not in the store and --pull-policy=never forbids fetching it`);
    }
  }
  const { pullImage } = await import('../registry/pull.js');
  const client = await registryClient(o);
  const { verifySignatures } = await import('./verify-pull.js');
  return pullImage(store, reference, {
    client,
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.insecureOptions.has('image') ? {} : { verify: (ctx) => verifySignatures(ctx, o.configDir, o.log) }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  });
}
