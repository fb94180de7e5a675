/**
 * @podstage/images: the image store and how images get into it. This entry is
 * light (what `run` needs: the store, names, fetch under a pull policy); the
 * heavier parts have their own entries, loaded only by the commands using them:
 *   @podstage/images/registry        docker:// references, registries.conf, auth, the client, pulls
 *   @podstage/images/trust           keystore, signatures, signing
 *   @podstage/images/import          oci:, oci-archive:, docker-archive: transports
 *   @podstage/images/render          layers → a root filesystem
 *   @podstage/images/export          an image → an OCI archive
 *   @podstage/images/default-image   the embedded default image's layout
 */
export { ImageStore, type GcOptions, type GcResult, type NewImage, type RemoveResult } from './image/store.js';
export type { ImageRecord, ImageRunConfig } from './image/types.js';
export { normalizeImageName, withLatestTag } from './image/names.js';
export { isDigest, parseDigest, SHA256_PREFIX, type DigestAndSize } from './image/digest.js';
export {
  fetchImage, isFetchable, parsePullPolicy, PULL_POLICIES, registryClient, type FetchImageOptions, type PullPolicy,
} from './image/fetch-image.js';
export type { PullProgress, PullProgressKind } from './registry/pull.js';
export { parseDockerReference } from './registry/reference.js';
