/**
 * The image store's public shape. Stage0 commands and pod preparation use
 * only this; fetch transports (registry, archives, layouts) feed it.
 */

/** One image as the store records it (`images/meta/<hex>.json`). */
export interface ImageRecord {
  /** Digest of the image manifest, `sha256:<hex>`: the image ID. */
  id: string;
  /** Names that point at this image, e.g. `podstage.io/default:latest`. */
  names: string[];
  mediaType: string;
  configDigest: string;
  /** Layer blobs in application order. */
  layers: { digest: string; mediaType: string; size: number }[];
  /**
   * `repository@digest` for each registry repository it was pulled from, by the digest that
   * repository serves (an image index's, when the name resolved to one): the CRI's repo digests.
   */
  repoDigests?: string[];
  /** Sum of manifest, config and layer blob sizes, bytes. */
  size: number;
  /** Where it came from, e.g. `oci-archive:/tmp/x.tar`. */
  source: string;
  importedAt: string;
  lastUsedAt?: string;
}

/** The runnable defaults of an image, from its OCI config. */
export interface ImageRunConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  exposedPorts: string[];
  labels: Record<string, string>;
}
