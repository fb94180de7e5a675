import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { escapePrefix, Keystore, unescapePrefix } from '@podstage/images/trust';
import { tempDir } from '../helpers/fs-snapshot.js';
import { ecdsaPair, openPgpPair, type OpenPgpPair, type PemPair } from './keys.js';

let base = '';
let store: Keystore;
let pem: PemPair;
let pgp: OpenPgpPair;

test.before(async () => {
  pem = ecdsaPair();
  pgp = await openPgpPair('Acme Release', 'release@acme.example');
});

test.before.each(() => {
  base = tempDir('trust');
  store = new Keystore(base);
});

test.after.each(() => {
  rmSync(base, { recursive: true, force: true });
});

async function rejects(fn: () => Promise<unknown>, code: string, message: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.is((err as Error).message, message);
    assert.is((err as { code?: string }).code, code);
    return;
  }
  assert.unreachable(`expected: ${message}`);
}

const fingerprints = (keys: { fingerprint: string }[]) => keys.map((k) => k.fingerprint);

test('add stores a PEM key under prefix.d/<escaped prefix>/<sha256 fingerprint>', async () => {
  const key = await store.add(pem.publicPem, { prefix: '127.0.0.1:5000/acme' });
  assert.is(key.fingerprint, pem.fingerprint);
  assert.is(key.kind, 'pem');
  assert.is(key.prefix, '127.0.0.1:5000/acme');
  assert.is(key.root, false);
  assert.equal(key.userIds, []);
  assert.is(key.path, join(base, 'trustedkeys/prefix.d/127.0.0.1%3A5000%2Facme', pem.fingerprint));
  assert.is(readFileSync(key.path, 'utf8'), pem.publicPem);
  assert.equal(readdirSync(join(base, 'trustedkeys/prefix.d/127.0.0.1%3A5000%2Facme')), [pem.fingerprint], 'no temp files left');
});

test('add stores an OpenPGP key (armored or binary) under its hex fingerprint, with user IDs', async () => {
  const armored = await store.add(pgp.publicArmored, { prefix: 'example.com/app' });
  assert.is(armored.fingerprint, pgp.fingerprint);
  assert.match(armored.fingerprint, /^[0-9a-f]{40}$/);
  assert.is(armored.kind, 'openpgp');
  assert.equal(armored.userIds, ['Acme Release <release@acme.example>']);
  assert.match(readFileSync(armored.path, 'utf8'), '-----BEGIN PGP PUBLIC KEY BLOCK-----');
  const binary = await store.add(Buffer.from(pgp.publicBinary), { root: true });
  assert.is(binary.fingerprint, pgp.fingerprint);
  assert.is(binary.path, join(base, 'trustedkeys/root.d', pgp.fingerprint));
  assert.is(binary.root, true);
  assert.is(binary.prefix, undefined);
});

test('list shows root keys first, then keys by prefix; an empty keystore lists nothing', async () => {
  assert.equal(await store.list(), []);
  await store.add(pem.publicPem, { prefix: 'example.com/b' });
  await store.add(pgp.publicArmored, { prefix: 'example.com/a' });
  await store.add(pem.publicPem, { root: true });
  const keys = await store.list();
  assert.equal(keys.map((k) => [k.prefix ?? '<root>', k.fingerprint, k.kind]), [
    ['<root>', pem.fingerprint, 'pem'],
    ['example.com/a', pgp.fingerprint, 'openpgp'],
    ['example.com/b', pem.fingerprint, 'pem'],
  ]);
});

test('keysFor matches prefixes on path-segment boundaries, ignoring tags, plus root keys', async () => {
  const other = ecdsaPair();
  await store.add(pem.publicPem, { prefix: '127.0.0.1:5000/acme' });
  await store.add(pgp.publicArmored, { prefix: '127.0.0.1:5000/acme/app' });
  assert.equal(fingerprints(await store.keysFor('127.0.0.1:5000/acme/app:v1')), [pgp.fingerprint, pem.fingerprint], 'longest prefix first');
  assert.equal(fingerprints(await store.keysFor('127.0.0.1:5000/acme')), [pem.fingerprint]);
  assert.equal(fingerprints(await store.keysFor('127.0.0.1:5000/acme:latest')), [pem.fingerprint]);
  assert.equal(fingerprints(await store.keysFor('127.0.0.1:5000/acme/tools/x')), [pem.fingerprint]);
  assert.equal(await store.keysFor('127.0.0.1:5000/acmex'), []);
  assert.equal(await store.keysFor('127.0.0.1:5000/acmex/app'), []);
  assert.equal(await store.keysFor('127.0.0.1:5000'), []);
  await store.add(other.publicPem, { root: true });
  assert.equal(fingerprints(await store.keysFor('127.0.0.1:5000/acmex/app')), [other.fingerprint]);
  assert.equal(fingerprints(await store.keysFor('127.0.0.1:5000/acme/app')), [pgp.fingerprint, pem.fingerprint, other.fingerprint]);
});

test('a trailing slash on a prefix is the same prefix', async () => {
  const key = await store.add(pem.publicPem, { prefix: 'example.com/acme/' });
  assert.is(key.prefix, 'example.com/acme');
});

test('remove takes a key from one prefix, or from everywhere without a prefix', async () => {
  await store.add(pem.publicPem, { prefix: 'example.com/a' });
  await store.add(pem.publicPem, { prefix: 'example.com/b' });
  await store.add(pem.publicPem, { root: true });
  await store.add(pgp.publicArmored, { prefix: 'example.com/a' });
  const one = await store.remove(pem.fingerprint, { prefix: 'example.com/b' });
  assert.equal(one.map((k) => k.prefix), ['example.com/b']);
  assert.not.ok(existsSync(join(base, 'trustedkeys/prefix.d', escapePrefix('example.com/b'))), 'empty prefix directory removed');
  const rest = await store.remove(pem.fingerprint.toUpperCase().replace('SHA256', 'sha256'));
  assert.equal(rest.map((k) => k.prefix ?? '<root>'), ['<root>', 'example.com/a']);
  assert.equal(fingerprints(await store.list()), [pgp.fingerprint]);
});

test('remove names a fingerprint that is not trusted, and refuses malformed ones', async () => {
  await store.add(pem.publicPem, { prefix: 'example.com/a' });
  await rejects(() => store.remove(pgp.fingerprint), 'ERR_PODSTAGE_TRUST', `key ${pgp.fingerprint}: not trusted`);
  await rejects(() => store.remove(pem.fingerprint, { prefix: 'example.com/b' }), 'ERR_PODSTAGE_TRUST', `key ${pem.fingerprint}: not trusted for prefix "example.com/b"`);
  await rejects(
    () => store.remove('../../etc/passwd'),
    'ERR_PODSTAGE_USAGE',
    'fingerprint "../../etc/passwd": expected 40 or 64 hex digits (OpenPGP) or sha256:<64 hex digits> (PEM), as `podstage trust list` shows',
  );
});

test('add refuses private keys, naming the file', async () => {
  const expect = (what: string) => `key file \`cosign.key\`: expected a PEM PUBLIC KEY (cosign.pub) or an OpenPGP public key, got ${what}`;
  await rejects(() => store.add(pem.privatePem, { prefix: 'example.com/a', source: 'cosign.key' }), 'ERR_PODSTAGE_TRUST', expect('a private key'));
  const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  await rejects(() => store.add(sec1, { prefix: 'example.com/a', source: 'cosign.key' }), 'ERR_PODSTAGE_TRUST', expect('a private key'));
  await rejects(() => store.add(pgp.privateArmored, { prefix: 'example.com/a', source: 'cosign.key' }), 'ERR_PODSTAGE_TRUST', expect('a private key'));
  await rejects(() => store.add(`${pem.publicPem}${pem.privatePem}`, { prefix: 'example.com/a', source: 'cosign.key' }), 'ERR_PODSTAGE_TRUST', expect('a private key'));
  assert.not.ok(existsSync(join(base, 'trustedkeys')), 'nothing written');
});

test('add refuses garbage and unsupported keys, naming the file and the expectation', async () => {
  const expected = 'expected a PEM PUBLIC KEY (cosign.pub) or an OpenPGP public key';
  await rejects(() => store.add('hello world\n', { root: true, source: 'k.pub' }), 'ERR_PODSTAGE_TRUST', `key file \`k.pub\`: ${expected}, got neither`);
  await rejects(() => store.add('', { root: true, source: 'k.pub' }), 'ERR_PODSTAGE_TRUST', `key file \`k.pub\`: ${expected}, got neither`);
  await rejects(
    () => store.add('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', { root: true, source: 'k.pub' }),
    'ERR_PODSTAGE_TRUST',
    `key file \`k.pub\`: ${expected}, got a PEM PUBLIC KEY that does not parse`,
  );
  await rejects(() => store.add('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', { root: true, source: 'k.pub' }), 'ERR_PODSTAGE_TRUST', `key file \`k.pub\`: ${expected}, got a PEM CERTIFICATE`);
  await rejects(() => store.add(`${pem.publicPem}${pem.publicPem}`, { root: true, source: 'k.pub' }), 'ERR_PODSTAGE_TRUST', `key file \`k.pub\`: ${expected}, got 2 PEM blocks`);
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).publicKey;
  await rejects(
    () => store.add(k1, { root: true, source: 'k.pub' }),
    'ERR_PODSTAGE_TRUST',
    'key file `k.pub`: expected an ECDSA P-256/P-384/P-521, RSA (at least 2048 bits) or Ed25519 public key, got an EC key on curve secp256k1',
  );
  const junkArmor = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n';
  await rejects(
    () => store.add(junkArmor, { root: true, source: 'k.asc' }),
    'ERR_PODSTAGE_TRUST',
    `key file \`k.asc\`: ${expected}, got OpenPGP data that does not parse (Error during parsing. This message / key probably does not conform to a valid OpenPGP format.)`,
  );
  await rejects(
    () => store.add(Buffer.from([0x99, 0, 3, 1, 2, 3]), { root: true, source: 'k.gpg' }),
    'ERR_PODSTAGE_TRUST',
    `key file \`k.gpg\`: ${expected}, got OpenPGP data that does not parse (No key packet found)`,
  );
});

test('add needs exactly one of prefix or root, and a sane prefix', async () => {
  await rejects(() => store.add(pem.publicPem, {}), 'ERR_PODSTAGE_USAGE', 'trusting a key: expected exactly one of a prefix or root');
  await rejects(() => store.add(pem.publicPem, { prefix: 'a', root: true }), 'ERR_PODSTAGE_USAGE', 'trusting a key: expected exactly one of a prefix or root');
  for (const bad of ['', '/', 'example.com/../etc', 'example.com//app', 'example.com/a b', '.', '/example.com']) {
    await rejects(
      () => store.add(pem.publicPem, { prefix: bad }),
      'ERR_PODSTAGE_USAGE',
      `prefix ${JSON.stringify(bad)}: expected an image name prefix like \`example.com/acme\` (no empty or \`..\` segments, no whitespace)`,
    );
  }
});

test('prefix escaping is one reversible directory name', () => {
  for (const prefix of ['example.com/acme', '127.0.0.1:5000/a%2Fb', 'quay.io/x_y-z.w', 'a,b/c']) {
    const escaped = escapePrefix(prefix);
    assert.not.match(escaped, '/');
    assert.is(unescapePrefix(escaped), prefix);
  }
  assert.is(unescapePrefix('%zz'), undefined);
  assert.is(unescapePrefix('a/b'), undefined);
});

test('a key file whose content does not match its name is reported, not trusted', async () => {
  const key = await store.add(pem.publicPem, { prefix: 'example.com/a' });
  const other = ecdsaPair();
  writeFileSync(key.path, other.publicPem);
  await rejects(
    () => store.keysFor('example.com/a/app'),
    'ERR_PODSTAGE_TRUST',
    `key file \`${key.path}\`: expected the key with fingerprint ${pem.fingerprint} (its file name), got ${other.fingerprint}`,
  );
});

test.run();
