/**
 * Issue 3's end-to-end flow through the CLI: run an image straight from a
 * real registry, refused unless signed by a trusted key (or
 * --insecure-options=image), pull policies, and a pull killed mid-way.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import * as openpgp from 'openpgp';
import { DEFAULT_IMAGE_LAYOUT, lines, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { randomLayer, startRegistry, writeImageLayout, type TestRegistry } from '../helpers/registry.js';

let sb: Sandbox;
let registry: TestRegistry;
let cfg: string;
const keys = mkdtempSync(join(tmpdir(), 'podstage-keys-'));

function ecdsaKeys(name: string): { pub: string; priv: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = join(keys, `${name}.pub`);
  const priv = join(keys, `${name}.key`);
  writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { pub, priv };
}

const ps = (args: string[]) => sb.run(['--config', cfg, ...args]);
const image = (repo: string) => `docker://${registry.host}/${repo}:latest`;
const storeNames = async () => (JSON.parse(String((await ps(['image', 'list', '--format=json'])).stdout)) as { names: string[] }[]).flatMap((i) => i.names);

test.before(async () => {
  sb = await sandbox({ withImage: false });
  cfg = mkdtempSync(join(tmpdir(), 'podstage-config-'));
  registry = await startRegistry();
  for (const repo of ['busybox', 'pgp/busybox', 'unsigned/busybox', 'wrongkey/busybox', 'moved/busybox']) {
    await registry.pushLayout(DEFAULT_IMAGE_LAYOUT, `${repo}:latest`);
  }
});
test.after(async () => {
  await registry.stop();
  await sb.cleanup();
  rmSync(cfg, { recursive: true, force: true });
  rmSync(keys, { recursive: true, force: true });
});

test('an unsigned registry image is refused, and nothing is stored', async () => {
  const r = await ps(['run', '--stage1-name=fly', image('busybox'), '--', 'echo', 'ok']);
  assert.is(r.exitCode, 254);
  assert.match(String(r.stderr), `no trusted key for ${registry.host}/busybox`);
  assert.match(String(r.stderr), 'podstage trust --prefix');
  assert.match(String(r.stderr), '--insecure-options=image');
  assert.equal(await storeNames(), []);
});

test('signed with a cosign-style ECDSA key and trusted for the prefix: the pod runs', async () => {
  const k = ecdsaKeys('cosign');
  const trust = await ps(['trust', `--prefix=${registry.host}/busybox`, k.pub]);
  assert.is(trust.exitCode, 0, String(trust.stderr));
  const unsigned = await ps(['run', '--stage1-name=fly', image('busybox'), '--', 'echo', 'ok']);
  assert.match(String(unsigned.stderr), `no signature found at tag sha256-`);
  const sign = await ps(['image', 'sign', `--key=${k.priv}`, image('busybox')]);
  assert.is(sign.exitCode, 0, String(sign.stderr));
  assert.match(String(sign.stdout), /signed \(1 signature at tag sha256-[0-9a-f]{64}\.sig\)/);
  const r = await ps(['run', '--stage1-name=fly', image('busybox'), '--', 'echo', 'ok']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, 'ok');
  assert.match(String(r.stderr), /signature of .* verified: pem key sha256:/);
  assert.equal(await storeNames(), [`${registry.host}/busybox:latest`]);
});

test('an OpenPGP key works the same way', async () => {
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Release Team', email: 'release@example.com' }], format: 'armored' });
  writeFileSync(join(keys, 'pgp.asc'), publicKey);
  writeFileSync(join(keys, 'pgp.key'), privateKey);
  assert.is((await ps(['trust', `--prefix=${registry.host}/pgp`, join(keys, 'pgp.asc')])).exitCode, 0);
  assert.is((await ps(['image', 'sign', `--key=${join(keys, 'pgp.key')}`, image('pgp/busybox')])).exitCode, 0);
  const r = await ps(['run', image('pgp/busybox'), '--', 'sh', '-c', 'exit 3']);
  assert.is(r.exitCode, 3, String(r.stderr));
  assert.match(String(r.stderr), /verified: openpgp key/);
});

test('--insecure-options=image runs an unsigned image', async () => {
  const r = await ps(['run', '--insecure-options=image', image('unsigned/busybox'), '--', 'echo', 'ok']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, 'ok');
});

test('a signature by a key that is not trusted is refused', async () => {
  const trusted = ecdsaKeys('trusted');
  const other = ecdsaKeys('other');
  await ps(['trust', `--prefix=${registry.host}/wrongkey`, trusted.pub]);
  await ps(['image', 'sign', `--key=${other.priv}`, image('wrongkey/busybox')]);
  const r = await ps(['fetch', image('wrongkey/busybox')]);
  assert.is(r.exitCode, 1);
  assert.match(String(r.stderr), 'bad signature');
  assert.not.ok((await storeNames()).includes(`${registry.host}/wrongkey/busybox:latest`));
});

test('a tag moved to other content is refused: the signature binds the old manifest digest', async () => {
  const k = ecdsaKeys('moved');
  await ps(['trust', `--prefix=${registry.host}/moved`, k.pub]);
  await ps(['image', 'sign', `--key=${k.priv}`, image('moved/busybox')]);
  assert.is((await ps(['fetch', image('moved/busybox')])).exitCode, 0);
  const layout = mkdtempSync(join(tmpdir(), 'podstage-layout-'));
  try {
    writeImageLayout(layout, [randomLayer(1024)]);
    await registry.pushLayout(layout, 'moved/busybox:latest');
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
  const r = await ps(['fetch', image('moved/busybox')]);
  assert.is(r.exitCode, 1);
  assert.match(String(r.stderr), 'no signature found at tag sha256-');
});

test('pull policies: new uses the store, never refuses to fetch, update asks the registry', async () => {
  const before = await ps(['fetch', '--pull-policy=never', image('busybox')]);
  assert.is(before.exitCode, 0, 'already in the store');
  const never = await ps(['fetch', '--pull-policy=never', `docker://${registry.host}/nothere:latest`]);
  assert.is(never.exitCode, 1);
  assert.match(String(never.stderr), '--pull-policy=never forbids fetching it');
  const bad = await ps(['fetch', '--pull-policy=sometimes', image('busybox')]);
  assert.is(bad.exitCode, 2);
  const update = await ps(['fetch', '--pull-policy=update', image('busybox')]);
  assert.is(update.exitCode, 0, String(update.stderr));
  assert.match(String(update.stderr), /verified/);
  const plain = await ps(['fetch', image('busybox')]);
  assert.match(String(plain.stderr), /verified/, "fetch's default is update");
  const quiet = await ps(['run', image('busybox'), '--', 'true']);
  assert.is(quiet.exitCode, 0);
  assert.not.match(String(quiet.stderr), /verified/, "run's default is new: no registry round trip");
});

test('a pull killed with SIGKILL mid-download leaves nothing visible; gc cleans up; the next pull works', async () => {
  const layout = mkdtempSync(join(tmpdir(), 'podstage-layout-'));
  try {
    writeImageLayout(layout, [randomLayer(96 * 1024 * 1024, 'data/big.bin')]);
    await registry.pushLayout(layout, 'big/blob:latest');
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
  const tmp = join(sb.dir, 'tmp');
  const partialBytes = () => {
    if (!existsSync(tmp)) return 0;
    let total = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else total += statSync(p).size;
      }
    };
    walk(tmp);
    return total;
  };
  let killedMidway = false;
  for (let attempt = 0; attempt < 5 && !killedMidway; attempt++) {
    const child = execa(PODSTAGE, ['--dir', sb.dir, '--config', cfg, '--insecure-options=image', 'fetch', image('big/blob')], { reject: false });
    while (child.exitCode === null && partialBytes() < 1024 * 1024) await new Promise((r) => setTimeout(r, 2));
    child.kill('SIGKILL');
    killedMidway = (await child).signal === 'SIGKILL';
  }
  assert.ok(killedMidway, 'killed the pull while it was downloading');
  assert.not.ok((await storeNames()).includes(`${registry.host}/big/blob:latest`));
  const gc = await ps(['image', 'gc', '--grace-period=24h']);
  assert.is(gc.exitCode, 0, String(gc.stderr));
  assert.match(String(gc.stdout), /image store: removed [1-9][0-9]* temporary entries/);
  assert.is(partialBytes(), 0);
  const again = await ps(['--insecure-options=image', 'fetch', image('big/blob')]);
  assert.is(again.exitCode, 0, String(again.stderr));
  assert.ok((await storeNames()).includes(`${registry.host}/big/blob:latest`));
  assert.equal(lines(again.stdout).length, 1);
});

test.run();
