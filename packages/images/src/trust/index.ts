export { Keystore, escapePrefix, normalizePrefix, prefixMatches, unescapePrefix, type AddOptions, type TrustedKey } from './keystore.js';
export { FINGERPRINT_PATTERN, parsePublicKey, type KeyKind, type OpenPgpPublicKey, type PemPublicKey, type PublicKey } from './public-key.js';
export { signPayload } from './sign.js';
export {
  ACCEPTED_PAYLOAD_TYPES,
  ATOMIC_PAYLOAD_TYPE,
  COSIGN_PAYLOAD_TYPE,
  cosignSignatureTag,
  makePayload,
  parsePayload,
  repositoryOf,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type SimpleSigningPayload,
} from './simple-signing.js';
export { verifyImageSignatures, type SignatureLayer, type VerifiedBy, type VerifyImageRequest } from './verify.js';
export { signImage, type SignedImage } from './sign-image.js';
