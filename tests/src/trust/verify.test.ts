import { rmSync } from 'node:fs';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import {
  Keystore, makePayload, parsePublicKey, signPayload, verifyImageSignatures, SIGNATURE_ANNOTATION,
  type PublicKey, type SignatureLayer, type VerifyImageRequest,
} from '@podstage/images/trust';
import { tempDir } from '../helpers/fs-snapshot.js';
import { DIGEST_A, DIGEST_B, ecdsaPair, ed25519Pair, openPgpPair, rsaPair, type OpenPgpPair, type PemPair } from './keys.js';

const IMAGE = '127.0.0.1:5000/acme/app:v1';
const REF = '127.0.0.1:5000/acme/app';
const TAG_A = `sha256-${'a'.repeat(64)}.sig`;
const SKIP_HINT = 'pass --insecure-options=image to skip signature verification';

let ecdsa: PemPair;
let pgp: OpenPgpPair;
let ecdsaKey: PublicKey;
let pgpKey: PublicKey;

test.before(async () => {
  ecdsa = ecdsaPair();
  pgp = await openPgpPair();
  ecdsaKey = await parsePublicKey(ecdsa.publicPem, 'cosign.pub');
  pgpKey = await parsePublicKey(pgp.publicArmored, 'release.asc');
});

async function layer(privateKey: string, payload = makePayload(REF, DIGEST_A)): Promise<SignatureLayer> {
  return { payload, annotations: { [SIGNATURE_ANNOTATION]: await signPayload(payload, privateKey) } };
}

function request(signatures: SignatureLayer[], keys: PublicKey[], overrides: Partial<VerifyImageRequest> = {}): VerifyImageRequest {
  return { imageName: IMAGE, dockerReference: REF, manifestDigest: DIGEST_A, signatures, keys: keys.map((publicKey) => ({ publicKey })), ...overrides };
}

async function refused(req: VerifyImageRequest, message: string, hint = SKIP_HINT): Promise<void> {
  try {
    await verifyImageSignatures(req);
  } catch (err) {
    assert.is((err as Error).message, message);
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_SIGNATURE');
    assert.is((err as { hint?: string }).hint, hint);
    return;
  }
  assert.unreachable(`expected: ${message}`);
}

const invalid = (reason: string) => `image ${IMAGE}: no valid signature at tag ${TAG_A}: ${reason}`;

function corrupt(sig: SignatureLayer, index: (length: number) => number): SignatureLayer {
  const bytes = Buffer.from(sig.annotations[SIGNATURE_ANNOTATION] as string, 'base64');
  const at = index(bytes.length);
  bytes[at] = (bytes[at] as number) ^ 0x01;
  return { payload: sig.payload, annotations: { [SIGNATURE_ANNOTATION]: bytes.toString('base64') } };
}

test('accepts a cosign ECDSA P-256 signature (DER over sha256 of the payload)', async () => {
  assert.equal(await verifyImageSignatures(request([await layer(ecdsa.privatePem)], [ecdsaKey])), { fingerprint: ecdsa.fingerprint, kind: 'pem' });
});

test('accepts an OpenPGP binary detached signature', async () => {
  assert.equal(await verifyImageSignatures(request([await layer(pgp.privateArmored)], [ecdsaKey, pgpKey])), { fingerprint: pgp.fingerprint, kind: 'openpgp' });
});

test('accepts ECDSA P-384, RSA and Ed25519 PEM keys', async () => {
  for (const pair of [ecdsaPair('P-384'), rsaPair(), ed25519Pair()]) {
    const key = await parsePublicKey(pair.publicPem, 'k.pub');
    assert.equal(await verifyImageSignatures(request([await layer(pair.privatePem)], [ecdsaKey, key])), { fingerprint: pair.fingerprint, kind: 'pem' });
  }
});

test('accepts atomic container signatures and a tagged docker-reference', async () => {
  const payload = Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': `${REF}:v1` }, image: { 'docker-manifest-digest': DIGEST_A }, type: 'atomic container signature' },
    optional: { creator: 'skopeo' },
  }));
  assert.is((await verifyImageSignatures(request([await layer(ecdsa.privatePem, payload)], [ecdsaKey]))).fingerprint, ecdsa.fingerprint);
});

test('one good signature among bad ones is enough', async () => {
  const stranger = ecdsaPair();
  const sigs = [await layer(stranger.privatePem), await layer(ecdsa.privatePem, makePayload(REF, DIGEST_B)), await layer(pgp.privateArmored)];
  assert.is((await verifyImageSignatures(request(sigs, [ecdsaKey, pgpKey]))).fingerprint, pgp.fingerprint);
});

test('works with the keys Keystore.keysFor finds', async () => {
  const dir = tempDir('trust-verify');
  try {
    const store = new Keystore(dir);
    await store.add(ecdsa.publicPem, { prefix: '127.0.0.1:5000/acme' });
    const keys = await store.keysFor(IMAGE);
    assert.is((await verifyImageSignatures({ imageName: IMAGE, dockerReference: REF, manifestDigest: DIGEST_A, signatures: [await layer(ecdsa.privatePem)], keys })).kind, 'pem');
    await refused(
      { imageName: 'example.com/other:v1', dockerReference: 'example.com/other', manifestDigest: DIGEST_A, signatures: [await layer(ecdsa.privatePem)], keys: await store.keysFor('example.com/other:v1') },
      'image example.com/other:v1: no trusted key for example.com/other',
      `trust the signer's key with \`podstage trust --prefix=example.com/other KEYFILE\`, or ${SKIP_HINT}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses an image without signatures', async () => {
  await refused(request([], [ecdsaKey]), `image ${IMAGE}: no signature found at tag ${TAG_A}`);
});

test('refuses when no key is trusted for the name', async () => {
  await refused(
    request([await layer(ecdsa.privatePem)], []),
    `image ${IMAGE}: no trusted key for ${REF}`,
    `trust the signer's key with \`podstage trust --prefix=${REF} KEYFILE\`, or ${SKIP_HINT}`,
  );
});

test('refuses signatures by other keys', async () => {
  const strangerPem = ecdsaPair();
  await refused(request([await layer(strangerPem.privatePem)], [ecdsaKey]), invalid('bad signature (no trusted PEM key verifies it)'));
  const strangerPgp = await openPgpPair('Mallory', 'mallory@example.com');
  await refused(request([await layer(strangerPgp.privateArmored)], [pgpKey]), invalid(`signed by an untrusted key ${strangerPgp.fingerprint}`));
  await refused(request([await layer(strangerPgp.privateArmored)], [ecdsaKey]), invalid(`signed by an untrusted key ${strangerPgp.fingerprint}`));
  await refused(request([await layer(ecdsa.privatePem)], [pgpKey]), invalid(`not an OpenPGP signature, and no PEM (cosign) key is trusted for ${REF}`));
});

test('refuses a tampered manifest: the signed digest is not the pulled one', async () => {
  for (const privateKey of [ecdsa.privatePem, pgp.privateArmored]) {
    await refused(request([await layer(privateKey)], [ecdsaKey, pgpKey], { manifestDigest: DIGEST_B }), `image ${IMAGE}: no valid signature at tag sha256-${'b'.repeat(64)}.sig: signature is for manifest ${DIGEST_A}, not ${DIGEST_B}`);
  }
});

test('refuses a signature for another repository', async () => {
  const sig = await layer(ecdsa.privatePem, makePayload('127.0.0.1:5000/acme/other', DIGEST_A));
  await refused(request([sig], [ecdsaKey]), invalid(`signature is for 127.0.0.1:5000/acme/other, not ${REF}`));
});

test('refuses corrupted signature bytes', async () => {
  const cosign = await layer(ecdsa.privatePem);
  await refused(request([corrupt(cosign, (n) => n - 1)], [ecdsaKey]), invalid('bad signature (no trusted PEM key verifies it)'));
  await refused(request([corrupt(cosign, () => 1)], [ecdsaKey]), invalid('bad signature (no trusted PEM key verifies it)'));
  const openpgp = await layer(pgp.privateArmored);
  await refused(request([corrupt(openpgp, (n) => n - 1)], [pgpKey]), invalid('bad signature'));
  await refused(request([corrupt(openpgp, (n) => n - 20)], [pgpKey]), invalid('bad signature'));
});

test('refuses a payload changed after signing', async () => {
  for (const privateKey of [ecdsa.privatePem, pgp.privateArmored]) {
    const sig = await layer(privateKey);
    const payload = makePayload(REF, DIGEST_B);
    await refused(request([{ payload, annotations: sig.annotations }], [ecdsaKey, pgpKey], { manifestDigest: DIGEST_B }), `image ${IMAGE}: no valid signature at tag sha256-${'b'.repeat(64)}.sig: ${privateKey === ecdsa.privatePem ? 'bad signature (no trusted PEM key verifies it)' : 'bad signature'}`);
  }
});

test('refuses a signed payload of the wrong type', async () => {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': REF }, image: { 'docker-manifest-digest': DIGEST_A }, type: 'https://in-toto.io/Statement/v1' }, optional: null }));
  await refused(
    request([await layer(ecdsa.privatePem, payload)], [ecdsaKey]),
    invalid('signature payload: expected type "cosign container image signature" or "atomic container signature", got "https://in-toto.io/Statement/v1"'),
  );
  await refused(request([await layer(pgp.privateArmored, Buffer.from('not json'))], [pgpKey]), invalid('signature payload: expected JSON, got something that does not parse'));
});

test('refuses layers without a usable signature annotation', async () => {
  const payload = makePayload(REF, DIGEST_A);
  await refused(request([{ payload, annotations: {} }], [ecdsaKey]), invalid(`no ${SIGNATURE_ANNOTATION} annotation`));
  await refused(request([{ payload, annotations: { [SIGNATURE_ANNOTATION]: 'not base64!' } }], [ecdsaKey]), invalid(`the ${SIGNATURE_ANNOTATION} annotation is not base64`));
});

test('names every signature\'s reason when there are several', async () => {
  const stranger = ecdsaPair();
  await refused(
    request([await layer(stranger.privatePem), await layer(ecdsa.privatePem, makePayload(REF, DIGEST_B))], [ecdsaKey]),
    invalid(`signature 1: bad signature (no trusted PEM key verifies it); signature 2: signature is for manifest ${DIGEST_B}, not ${DIGEST_A}`),
  );
});

test.run();
