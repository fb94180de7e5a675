/**
 * The "simple signing" payload cosign signs, and the cosign conventions for
 * where signatures of a manifest live in a registry.
 */
import { PodstageError } from '@podstage/contract/errors';

export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';
/** containers/image (skopeo, podman) write this type; the payload is otherwise the same. */
export const ATOMIC_PAYLOAD_TYPE = 'atomic container signature';
export const ACCEPTED_PAYLOAD_TYPES: readonly string[] = [COSIGN_PAYLOAD_TYPE, ATOMIC_PAYLOAD_TYPE];

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the base64 signature over the layer's payload. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

const DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface SimpleSigningPayload {
  dockerReference: string;
  manifestDigest: string;
  type: string;
}

/** `sha256:<hex>` → `sha256-<hex>.sig`, the tag cosign stores a manifest's signatures under. */
export function cosignSignatureTag(manifestDigest: string): string {
  return `${manifestDigest.replace(':', '-')}.sig`;
}

/** `registry/repo:tag` or `registry/repo@sha256:…` → `registry/repo`. */
export function repositoryOf(reference: string): string {
  const at = reference.indexOf('@');
  const name = at === -1 ? reference : reference.slice(0, at);
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  return colon === -1 ? name : name.slice(0, colon);
}

export function makePayload(dockerReference: string, manifestDigest: string): Buffer {
  if (!DIGEST_PATTERN.test(manifestDigest)) {
    throw new PodstageError('ERR_PODSTAGE_SIGNATURE', `manifest digest ${JSON.stringify(manifestDigest)}: expected \`algorithm:hex\`, e.g. sha256:<64 hex digits>`);
  }
  if (dockerReference === '' || /\s/.test(dockerReference)) {
    throw new PodstageError('ERR_PODSTAGE_SIGNATURE', `docker reference ${JSON.stringify(dockerReference)}: expected \`registry/repository\``);
  }
  const payload = {
    critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': manifestDigest }, type: COSIGN_PAYLOAD_TYPE },
    optional: null,
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function payloadError(problem: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_SIGNATURE', `signature payload: ${problem}`);
}

function stringAt(root: Record<string, unknown>, path: string[]): string {
  let node: unknown = root;
  for (const key of path) {
    if (!isObject(node)) break;
    node = node[key];
  }
  if (typeof node !== 'string' || node === '') throw payloadError(`expected a string at ${path.join('.')}`);
  return node;
}

/** Parses a payload; throws ERR_PODSTAGE_SIGNATURE naming what is missing or wrong. */
export function parsePayload(buf: Buffer): SimpleSigningPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8'));
  } catch {
    throw payloadError('expected JSON, got something that does not parse');
  }
  if (!isObject(doc)) throw payloadError('expected a JSON object');
  const type = stringAt(doc, ['critical', 'type']);
  if (!ACCEPTED_PAYLOAD_TYPES.includes(type)) {
    throw payloadError(`expected type ${ACCEPTED_PAYLOAD_TYPES.map((t) => JSON.stringify(t)).join(' or ')}, got ${JSON.stringify(type)}`);
  }
  return {
    type,
    dockerReference: stringAt(doc, ['critical', 'identity', 'docker-reference']),
    manifestDigest: stringAt(doc, ['critical', 'image', 'docker-manifest-digest']),
  };
}
