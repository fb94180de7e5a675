import { verify } from 'node:crypto';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import * as openpgp from 'openpgp';
import { makePayload, signPayload } from '@podstage/images/trust';
import { DIGEST_A, ecdsaPair, openPgpPair } from './keys.js';

const payload = makePayload('example.com/app', DIGEST_A);

async function rejects(fn: () => Promise<unknown>, message: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.is((err as Error).message, message);
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_TRUST');
    return;
  }
  assert.unreachable(`expected: ${message}`);
}

test('an ECDSA PEM key signs as cosign does: DER ECDSA over sha256(payload), base64', async () => {
  const pair = ecdsaPair();
  const sig = Buffer.from(await signPayload(payload, pair.privatePem), 'base64');
  assert.is(sig[0], 0x30, 'DER SEQUENCE');
  assert.ok(verify('sha256', payload, { key: pair.publicPem, dsaEncoding: 'der' }, sig));
});

test('an OpenPGP key makes a binary detached signature', async () => {
  const pair = await openPgpPair();
  const sig = Buffer.from(await signPayload(payload, pair.privateArmored), 'base64');
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: new Uint8Array(payload) }),
    signature: await openpgp.readSignature({ binarySignature: new Uint8Array(sig) }),
    verificationKeys: await openpgp.readKey({ armoredKey: pair.publicArmored }),
  });
  assert.ok(await result.signatures[0]?.verified);
});

test('refuses public keys, protected keys and garbage, naming the key', async () => {
  const expected = 'expected an unencrypted PEM PRIVATE KEY (ECDSA, RSA or Ed25519) or an armored OpenPGP private key';
  await rejects(() => signPayload(payload, ecdsaPair().publicPem, 'cosign.pub'), `signing key \`cosign.pub\`: ${expected}, got a public key`);
  await rejects(() => signPayload(payload, 'junk', 'k'), `signing key \`k\`: ${expected}, got neither`);
  const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'x' }], passphrase: 'secret', format: 'armored' });
  await rejects(() => signPayload(payload, privateKey, 'k.asc'), `signing key \`k.asc\`: ${expected}, got a passphrase-protected OpenPGP key`);
  await rejects(
    () => signPayload(payload, '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n', 'cosign.key'),
    `signing key \`cosign.key\`: ${expected}, got a password-protected cosign key`,
  );
});

test.run();
