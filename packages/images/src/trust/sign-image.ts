/**
 * Sign an image in its registry the way cosign does: the simple-signing
 * payload for the digest the reference names (the index of a multi-platform
 * tag), signed, and added as one more layer of the manifest at tag
 * sha256-<hex>.sig in the same repository.
 */
import { MEDIA_TYPE } from '../image/media-types.js';
import type { RegistryClient } from '../registry/client.js';
import type { DockerReference } from '../registry/reference.js';
import { signPayload } from './sign.js';
import { cosignSignatureTag, makePayload, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

export interface SignedImage {
  digest: string;
  signatureTag: string;
  signatures: number;
}

export async function signImage(client: RegistryClient, ref: DockerReference, privateKey: Buffer | string, keySource: string): Promise<SignedImage> {
  const resolved = await client.resolveManifest(ref);
  const digest = resolved.indexDigest ?? resolved.digest;
  const payload = makePayload(`${ref.registry}/${ref.repository}`, digest);
  const signature = await signPayload(payload, privateKey, keySource);
  const existing = await client.listSignatureArtifacts(ref, digest);
  const layers = [];
  for (const s of [...existing, { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations: { [SIGNATURE_ANNOTATION]: signature } }]) {
    const blob = await client.pushBlob(ref, s.payload);
    layers.push({ mediaType: s.mediaType, digest: blob.digest, size: blob.size, annotations: s.annotations });
  }
  const config = await client.pushBlob(ref, Buffer.from('{}'));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: { mediaType: MEDIA_TYPE.ociConfig, digest: config.digest, size: config.size },
    layers,
  }));
  const signatureTag = cosignSignatureTag(digest);
  await client.pushManifest(ref, signatureTag, manifest, MEDIA_TYPE.ociManifest);
  return { digest, signatureTag, signatures: layers.length };
}
