/**
 * Public keys podstage trusts: a PEM `PUBLIC KEY` (what `cosign generate-key-pair`
 * writes to cosign.pub) or an OpenPGP public key (armored or binary).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { PodstageError } from '@podstage/contract/errors';
import type { Key } from 'openpgp';

export type KeyKind = 'openpgp' | 'pem';

interface KeyBase {
  /** OpenPGP: the hex v4/v6 fingerprint; PEM: `sha256:<hex of the SPKI DER>`. */
  fingerprint: string;
  userIds: string[];
  /** The key alone, re-encoded (SPKI PEM or armored OpenPGP): what the keystore stores. */
  canonicalText: string;
}

export interface PemPublicKey extends KeyBase {
  kind: 'pem';
  keyObject: KeyObject;
}

export interface OpenPgpPublicKey extends KeyBase {
  kind: 'openpgp';
  openpgpKey: Key;
}

export type PublicKey = PemPublicKey | OpenPgpPublicKey;

/** What a key file name in the keystore may look like (also keeps it a safe file name). */
export const FINGERPRINT_PATTERN = /^(?:[0-9a-f]{40}|[0-9a-f]{64}|sha256:[0-9a-f]{64})$/;

const EXPECTED = 'expected a PEM PUBLIC KEY (cosign.pub) or an OpenPGP public key';
const PRIVATE_ARMOR = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const PGP_PUBLIC_ARMOR = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const ACCEPTED_EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const MIN_RSA_BITS = 2048;

function trustError(source: string, problem: string, hint?: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_TRUST', `key file \`${source}\`: ${problem}`, hint === undefined ? {} : { hint });
}

/** Parses and checks one public key; `source` names it in errors (a file path). */
export async function parsePublicKey(input: Buffer | string, source: string): Promise<PublicKey> {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (PRIVATE_ARMOR.test(text)) {
    throw trustError(source, `${EXPECTED}, got a private key`, 'trust only the public half: `cosign public-key --key cosign.key`, `gpg --export --armor KEYID`');
  }
  if (text.includes(PGP_PUBLIC_ARMOR)) return parseOpenPgp({ armoredKeys: text }, source);
  if (text.includes('-----BEGIN ')) return parsePem(text, source);
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // An OpenPGP packet's first byte always has its top bit set: anything else is not a binary key.
  if (bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0) return parseOpenPgp({ binaryKeys: bytes }, source);
  throw trustError(source, `${EXPECTED}, got neither`);
}

function parsePem(text: string, source: string): PemPublicKey {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1) throw trustError(source, `${EXPECTED}, got ${blocks.length === 0 ? 'no complete PEM block' : `${blocks.length} PEM blocks`}`);
  const [block, label] = blocks[0] as RegExpExecArray;
  if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY') throw trustError(source, `${EXPECTED}, got a PEM ${label}`);
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: block, format: 'pem' });
  } catch {
    throw trustError(source, `${EXPECTED}, got a PEM ${label} that does not parse`);
  }
  checkPemAlgorithm(keyObject, source);
  const der = keyObject.export({ type: 'spki', format: 'der' });
  return {
    kind: 'pem',
    fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}`,
    userIds: [],
    canonicalText: keyObject.export({ type: 'spki', format: 'pem' }).toString(),
    keyObject,
  };
}

/** The algorithms cosign signs with: ECDSA (P-256/P-384/P-521), RSA, Ed25519. */
function checkPemAlgorithm(key: KeyObject, source: string): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ed25519') return;
  if (type === 'ec' && ACCEPTED_EC_CURVES.has(details.namedCurve ?? '')) return;
  if (type === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return;
  const what = type === 'ec' ? `an EC key on curve ${details.namedCurve}` : type === 'rsa' ? `a ${details.modulusLength}-bit RSA key` : `a ${type} key`;
  throw trustError(source, `expected an ECDSA P-256/P-384/P-521, RSA (at least ${MIN_RSA_BITS} bits) or Ed25519 public key, got ${what}`);
}

async function parseOpenPgp(input: { armoredKeys: string } | { binaryKeys: Uint8Array }, source: string): Promise<OpenPgpPublicKey> {
  const openpgp = await import('openpgp');
  let keys: Key[];
  try {
    keys = 'armoredKeys' in input ? await openpgp.readKeys({ armoredKeys: input.armoredKeys }) : await openpgp.readKeys({ binaryKeys: input.binaryKeys });
  } catch (err) {
    throw trustError(source, `${EXPECTED}, got OpenPGP data that does not parse (${(err as Error).message})`);
  }
  if (keys.length !== 1) throw trustError(source, `expected one OpenPGP public key, got ${keys.length}`);
  const key = keys[0] as Key;
  if (key.isPrivate()) {
    throw trustError(source, `${EXPECTED}, got a private key`, 'trust only the public half: `gpg --export --armor KEYID`');
  }
  try {
    await key.getSigningKey();
  } catch (err) {
    throw trustError(source, `OpenPGP key ${key.getFingerprint()} cannot verify signatures (${(err as Error).message})`);
  }
  return { kind: 'openpgp', fingerprint: key.getFingerprint(), userIds: key.getUserIDs(), canonicalText: key.armor(), openpgpKey: key };
}
