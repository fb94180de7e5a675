/** `podstage trust`, `trust list` and `trust rm` through the real binary, against a private config dir. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { lines, sandbox, type Sandbox } from '../helpers/podstage.js';
import { ecdsaPair, openPgpPair, type OpenPgpPair, type PemPair } from './keys.js';

let sb: Sandbox;
let work = '';
let cfg = '';
let pem: PemPair;
let pgp: OpenPgpPair;
let pemFile = '';
let pgpFile = '';

test.before(async () => {
  sb = await sandbox({ withImage: false });
  work = mkdtempSync('/tmp/podstage-trust-cli-');
  pem = ecdsaPair();
  pgp = await openPgpPair('Acme Release', 'release@acme.example');
  pemFile = join(work, 'cosign.pub');
  pgpFile = join(work, 'release.asc');
  writeFileSync(pemFile, pem.publicPem);
  writeFileSync(pgpFile, pgp.publicArmored);
  writeFileSync(join(work, 'cosign.key'), pem.privatePem);
});

test.before.each(() => {
  cfg = mkdtempSync(join(work, 'config-'));
});

test.after(async () => {
  await sb.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const trust = (...args: string[]) => sb.run(['--config', cfg, 'trust', ...args]);

test('trust --prefix stores keys and prints what it trusted', async () => {
  const r = await trust('--prefix=example.com/app', pemFile, pgpFile);
  assert.is(r.exitCode, 0, String(r.stderr));
  const dir = join(cfg, 'trustedkeys/prefix.d/example.com%2Fapp');
  assert.is(String(r.stdout), [
    `Key: "${pemFile}"`,
    `PEM key fingerprint: ${pem.fingerprint}`,
    `Trusted for prefix "example.com/app", stored at "${join(dir, pem.fingerprint)}"`,
    `Key: "${pgpFile}"`,
    `OpenPGP key fingerprint: ${pgp.fingerprint}`,
    '\tAcme Release <release@acme.example>',
    `Trusted for prefix "example.com/app", stored at "${join(dir, pgp.fingerprint)}"`,
  ].join('\n'));
});

test('trust --root with --skip-fingerprint-review', async () => {
  const r = await trust('--root', '--skip-fingerprint-review', pemFile);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.match(String(r.stdout), `Trusted as a root key (every image), stored at "${join(cfg, 'trustedkeys/root.d', pem.fingerprint)}"`);
});

test('trust needs exactly one of --prefix and --root, and a key file', async () => {
  for (const args of [[pemFile], ['--root', '--prefix=example.com', pemFile], ['--root']]) {
    const r = await trust(...args);
    assert.is(r.exitCode, 2, args.join(' '));
  }
  assert.is(String((await trust(pemFile)).stderr), 'podstage trust: trust needs exactly one of --prefix=PREFIX or --root');
  assert.is(String((await trust('--root')).stderr), 'podstage trust: trust needs at least one key file');
});

test('trust refuses private keys and missing files, naming them', async () => {
  const keyFile = join(work, 'cosign.key');
  const r = await trust('--prefix=example.com/app', keyFile, join(work, 'missing.pub'), pemFile);
  assert.is(r.exitCode, 1);
  assert.equal(lines(r.stderr), [
    `podstage trust: key file \`${keyFile}\`: expected a PEM PUBLIC KEY (cosign.pub) or an OpenPGP public key, got a private key; trust only the public half: \`cosign public-key --key cosign.key\`, \`gpg --export --armor KEYID\``,
    `podstage trust: read \`${join(work, 'missing.pub')}\`: ENOENT`,
  ]);
  assert.match(String(r.stdout), `PEM key fingerprint: ${pem.fingerprint}`, 'the good key is still trusted');
});

test('trust list shows prefix, fingerprint, kind and user IDs', async () => {
  await trust('--prefix=example.com/app', pgpFile);
  await trust('--root', pemFile);
  const table = await sb.run(['--config', cfg, 'trust', 'list']);
  assert.is(table.exitCode, 0, String(table.stderr));
  const rows = lines(table.stdout).map((l) => l.split(/\s{2,}/));
  assert.equal(rows, [
    ['PREFIX', 'FINGERPRINT', 'KIND', 'USER-ID'],
    ['<root>', pem.fingerprint, 'pem', '-'],
    ['example.com/app', pgp.fingerprint, 'openpgp', 'Acme Release <release@acme.example>'],
  ]);
  const noLegend = await sb.run(['--config', cfg, 'trust', 'list', '--no-legend']);
  assert.is(lines(noLegend.stdout).length, 2);
  const json = await sb.run(['--config', cfg, 'trust', 'list', '--format=json']);
  assert.equal(JSON.parse(String(json.stdout)), [
    { prefix: null, root: true, fingerprint: pem.fingerprint, kind: 'pem', userIds: [], path: join(cfg, 'trustedkeys/root.d', pem.fingerprint) },
    { prefix: 'example.com/app', root: false, fingerprint: pgp.fingerprint, kind: 'openpgp', userIds: ['Acme Release <release@acme.example>'], path: join(cfg, 'trustedkeys/prefix.d/example.com%2Fapp', pgp.fingerprint) },
  ]);
  const empty = await sb.run(['--config', join(work, 'nowhere'), 'trust', 'list', '--format=json']);
  assert.is(String(empty.stdout), '[]');
});

test('trust rm removes keys by fingerprint and names unknown ones', async () => {
  await trust('--prefix=example.com/app', pemFile, pgpFile);
  await trust('--prefix=example.com/other', pemFile);
  const one = await sb.run(['--config', cfg, 'trust', 'rm', '--prefix=example.com/other', pem.fingerprint]);
  assert.is(one.exitCode, 0, String(one.stderr));
  assert.is(String(one.stdout), `Removed key ${pem.fingerprint} for prefix "example.com/other"`);
  const r = await sb.run(['--config', cfg, 'trust', 'rm', pgp.fingerprint, `sha256:${'0'.repeat(64)}`]);
  assert.is(r.exitCode, 1);
  assert.is(String(r.stdout), `Removed key ${pgp.fingerprint} for prefix "example.com/app"`);
  assert.is(String(r.stderr), `podstage trust rm: key sha256:${'0'.repeat(64)}: not trusted; see \`podstage trust list\``);
  const left = await sb.run(['--config', cfg, 'trust', 'list', '--format=json']);
  assert.equal((JSON.parse(String(left.stdout)) as { fingerprint: string; prefix: string }[]).map((k) => [k.prefix, k.fingerprint]), [['example.com/app', pem.fingerprint]]);
});

test.run();
