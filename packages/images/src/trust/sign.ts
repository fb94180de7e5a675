/**
 * Signing a simple-signing payload, the other half of verify.ts: cosign's
 * scheme for PEM keys, a binary detached signature for OpenPGP keys.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { PodstageError } from '@podstage/contract/errors';
import type { PrivateKey } from 'openpgp';

const EXPECTED = 'expected an unencrypted PEM PRIVATE KEY (ECDSA, RSA or Ed25519) or an armored OpenPGP private key';

function signingKeyError(source: string, problem: string, hint?: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_TRUST', `signing key \`${source}\`: ${problem}`, hint === undefined ? {} : { hint });
}

/** Returns the base64 signature, the value of the `dev.cosignproject.cosign/signature` annotation. */
export async function signPayload(payload: Buffer, privateKeyText: Buffer | string, source = 'signing key'): Promise<string> {
  const text = typeof privateKeyText === 'string' ? privateKeyText : privateKeyText.toString('utf8');
  if (text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) return signOpenPgp(payload, text, source);
  if (/-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----/.test(text)) {
    throw signingKeyError(source, `${EXPECTED}, got a password-protected cosign key`, 'sign with `cosign sign --key cosign.key IMAGE`, or export an unencrypted PKCS#8 key');
  }
  if (/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text)) return signPem(payload, text, source);
  throw signingKeyError(source, `${EXPECTED}, got ${/-----BEGIN [A-Z ]*PUBLIC KEY/.test(text) ? 'a public key' : 'neither'}`);
}

function signPem(payload: Buffer, text: string, source: string): string {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw signingKeyError(source, `${EXPECTED}, got a PEM key that does not load (${(err as Error).message})`);
  }
  switch (key.asymmetricKeyType) {
    case 'ec':
      return sign('sha256', payload, { key, dsaEncoding: 'der' }).toString('base64');
    case 'rsa':
      return sign('sha256', payload, key).toString('base64');
    case 'ed25519':
      return sign(null, payload, key).toString('base64');
    default:
      throw signingKeyError(source, `${EXPECTED}, got a ${key.asymmetricKeyType} key`);
  }
}

async function signOpenPgp(payload: Buffer, armoredKey: string, source: string): Promise<string> {
  const openpgp = await import('openpgp');
  let key: PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey });
  } catch (err) {
    throw signingKeyError(source, `${EXPECTED}, got OpenPGP data that does not parse (${(err as Error).message})`);
  }
  if (!key.isDecrypted()) {
    throw signingKeyError(source, `${EXPECTED}, got a passphrase-protected OpenPGP key`, 'export it without a passphrase, or sign with `gpg --detach-sign` and put the base64 signature in the annotation');
  }
  const message = await openpgp.createMessage({ binary: new Uint8Array(payload) });
  const signature = await openpgp.sign({ message, signingKeys: key, detached: true, format: 'binary' });
  return Buffer.from(signature).toString('base64');
}
