/**
 * Checking a registry image's cosign-style signatures against the keys
 * trusted for its name. One signature that verifies and matches is enough.
 */
import { verify as verifyWithKeyObject } from 'node:crypto';
import { PodstageError } from '@podstage/contract/errors';
import type { Key, SignaturePacket } from 'openpgp';
import type { KeyKind, OpenPgpPublicKey, PemPublicKey, PublicKey } from './public-key.js';
import { cosignSignatureTag, parsePayload, repositoryOf, SIGNATURE_ANNOTATION } from './simple-signing.js';

export interface SignatureLayer {
  /** The simple-signing payload (the layer blob). */
  payload: Buffer;
  /** The layer's annotations; the signature is base64 under SIGNATURE_ANNOTATION. */
  annotations: Record<string, string>;
}

export interface VerifyImageRequest {
  /** `registry/repo:tag`, for messages. */
  imageName: string;
  /** `registry/repo`: what the payload's docker-reference must name (tags are ignored). */
  dockerReference: string;
  /** The digest of the manifest being pulled: what the payload must name. */
  manifestDigest: string;
  signatures: readonly SignatureLayer[];
  /** The keys trusted for the image (Keystore.keysFor). */
  keys: readonly { publicKey: PublicKey }[];
}

export interface VerifiedBy {
  fingerprint: string;
  kind: KeyKind;
}

type Outcome = { verified: VerifiedBy } | { reason: string };

const SKIP_HINT = 'pass --insecure-options=image to skip signature verification';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const verifiedBy = (key: PublicKey): Outcome => ({ verified: { fingerprint: key.fingerprint, kind: key.kind } });

/** Resolves with the key of the first good signature; otherwise throws ERR_PODSTAGE_SIGNATURE with every signature's reason. */
export async function verifyImageSignatures(request: VerifyImageRequest): Promise<VerifiedBy> {
  const repository = repositoryOf(request.dockerReference);
  const refuse = (reason: string, hint = SKIP_HINT) => new PodstageError('ERR_PODSTAGE_SIGNATURE', `image ${request.imageName}: ${reason}`, { hint });
  if (request.keys.length === 0) {
    throw refuse(`no trusted key for ${repository}`, `trust the signer's key with \`podstage trust --prefix=${repository} KEYFILE\`, or ${SKIP_HINT}`);
  }
  const tag = cosignSignatureTag(request.manifestDigest);
  if (request.signatures.length === 0) throw refuse(`no signature found at tag ${tag}`);
  const reasons: string[] = [];
  for (const signature of request.signatures) {
    const outcome = await checkSignature(signature, request);
    if ('verified' in outcome) return outcome.verified;
    reasons.push(outcome.reason);
  }
  const detail = reasons.length === 1 ? reasons[0] : reasons.map((r, i) => `signature ${i + 1}: ${r}`).join('; ');
  throw refuse(`no valid signature at tag ${tag}: ${detail}`);
}

async function checkSignature(layer: SignatureLayer, request: VerifyImageRequest): Promise<Outcome> {
  const encoded = layer.annotations[SIGNATURE_ANNOTATION];
  if (encoded === undefined || encoded === '') return { reason: `no ${SIGNATURE_ANNOTATION} annotation` };
  if (!BASE64.test(encoded)) return { reason: `the ${SIGNATURE_ANNOTATION} annotation is not base64` };
  const signer = await findSigner(Buffer.from(encoded, 'base64'), layer.payload, request);
  if ('reason' in signer) return signer;
  // Only a payload a trusted key signed is worth parsing.
  let payload;
  try {
    payload = parsePayload(layer.payload);
  } catch (err) {
    return { reason: (err as Error).message };
  }
  if (payload.manifestDigest !== request.manifestDigest) return { reason: `signature is for manifest ${payload.manifestDigest}, not ${request.manifestDigest}` };
  if (repositoryOf(payload.dockerReference) !== repositoryOf(request.dockerReference)) {
    return { reason: `signature is for ${payload.dockerReference}, not ${request.dockerReference}` };
  }
  return signer;
}

async function findSigner(signature: Buffer, payload: Buffer, request: VerifyImageRequest): Promise<Outcome> {
  const pemKeys = request.keys.map((k) => k.publicKey).filter((k): k is PemPublicKey => k.kind === 'pem');
  for (const key of pemKeys) {
    if (verifyCosignSignature(key, payload, signature)) return verifiedBy(key);
  }
  // An OpenPGP packet's first byte has its top bit set; a DER ECDSA signature starts with 0x30.
  if (((signature[0] ?? 0) & 0x80) !== 0) {
    const openpgpKeys = request.keys.map((k) => k.publicKey).filter((k): k is OpenPgpPublicKey => k.kind === 'openpgp');
    const outcome = await verifyOpenPgpSignature(signature, payload, openpgpKeys);
    if (outcome !== undefined) return outcome;
  }
  if (pemKeys.length === 0) return { reason: `not an OpenPGP signature, and no PEM (cosign) key is trusted for ${repositoryOf(request.dockerReference)}` };
  return { reason: 'bad signature (no trusted PEM key verifies it)' };
}

/** cosign's scheme: ECDSA and RSA (PKCS#1 v1.5) over sha256(payload), DER-encoded ECDSA; Ed25519 over the payload itself. */
function verifyCosignSignature(key: PemPublicKey, payload: Buffer, signature: Buffer): boolean {
  const digest = key.keyObject.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  try {
    return verifyWithKeyObject(digest, payload, { key: key.keyObject, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The signer as the signature names it: its fingerprint when present, else its key ID. */
function issuerOf(packet: SignaturePacket): string {
  return packet.issuerFingerprint !== null && packet.issuerFingerprint.length > 0 ? hex(packet.issuerFingerprint) : packet.issuerKeyID.toHex();
}

/** A binary detached OpenPGP signature over the payload; undefined when the bytes are not one. */
async function verifyOpenPgpSignature(bytes: Buffer, payload: Buffer, keys: OpenPgpPublicKey[]): Promise<Outcome | undefined> {
  const openpgp = await import('openpgp');
  let signature;
  try {
    signature = await openpgp.readSignature({ binarySignature: bytes });
  } catch {
    return undefined;
  }
  const signerIds = signature.getSigningKeyIDs();
  const candidates = keys.filter((k) => signerIds.some((id) => (k.openpgpKey as Key).getKeys(id).length > 0));
  if (candidates.length === 0) {
    const issuers = [...new Set(signature.packets.map(issuerOf))];
    return { reason: `signed by an untrusted key ${issuers.join(', ')}` };
  }
  let failure: unknown;
  for (const key of candidates) {
    const message = await openpgp.createMessage({ binary: new Uint8Array(payload) });
    const result = await openpgp.verify({ message, signature, verificationKeys: [key.openpgpKey], format: 'binary' });
    for (const check of result.signatures) {
      try {
        await check.verified;
        return verifiedBy(key);
      } catch (err) {
        failure = err;
      }
    }
  }
  return { reason: badOpenPgpSignature(failure) };
}

/** openpgp.js says why for keys that are expired, revoked or too weak; a plain mismatch is just a bad signature. */
function badOpenPgpSignature(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  return message === '' || /digest did not match|verification failed/i.test(message) ? 'bad signature' : `bad signature (${message})`;
}
