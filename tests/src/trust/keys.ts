/** Key pairs for the trust tests: PEM via node:crypto (as cosign makes them), OpenPGP via openpgp. */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import * as openpgp from 'openpgp';

export interface PemPair {
  publicPem: string;
  privatePem: string;
  fingerprint: string;
}

export interface OpenPgpPair {
  publicArmored: string;
  privateArmored: string;
  publicBinary: Uint8Array;
  fingerprint: string;
}

function pemPair(publicPem: string, privatePem: string): PemPair {
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return { publicPem, privatePem, fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}` };
}


/** What `cosign generate-key-pair` makes: ECDSA P-256. */
export function ecdsaPair(namedCurve = 'P-256'): PemPair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return pemPair(publicKey, privateKey);
}

export function rsaPair(): PemPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return pemPair(publicKey, privateKey);
}

export function ed25519Pair(): PemPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  return pemPair(publicKey, privateKey);
}

export async function openPgpPair(name = 'Release Signer', email = 'release@example.com'): Promise<OpenPgpPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ name, email }], format: 'armored' });
  const key = await openpgp.readKey({ armoredKey: publicKey });
  return { publicArmored: publicKey, privateArmored: privateKey, publicBinary: key.write(), fingerprint: key.getFingerprint() };
}

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
