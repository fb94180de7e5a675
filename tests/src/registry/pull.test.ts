/** Pulls from a real registry (distribution 2.8) into fresh image stores. */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { ImageStore } from '@podstage/images';
import { RegistryClient } from '@podstage/images/registry';
import { pullImage, type PullProgress } from '@podstage/images/registry';
import { parseDockerReference } from '@podstage/images/registry';
import { RegistriesConf } from '@podstage/images/registry';
import { tempDir } from '../helpers/fs-snapshot.js';
import { freePort, gzipLayer, randomLayer, startRegistry, writeImageLayout, writeMultiPlatformLayout, type TestImage, type TestRegistry } from '../helpers/registry.js';

let base = '';
let registry: TestRegistry;
let appImage: TestImage;
let sharedA: TestImage;
let sharedB: TestImage;
let platforms: ReturnType<typeof writeMultiPlatformLayout>;
let storeCount = 0;

function freshStore(): ImageStore {
  storeCount += 1;
  return new ImageStore(join(base, `data-${storeCount}`));
}

test.before(async () => {
  base = tempDir('registry-pull');
  registry = await startRegistry();
  const appLayers = [
    gzipLayer([
      { path: 'etc/', type: 'dir' },
      { path: 'etc/hello', content: 'hello from the registry\n' },
      { path: 'bin/', type: 'dir' },
      { path: 'bin/tool', content: '#!/bin/sh\necho tool\n', mode: 0o755 },
    ]),
    gzipLayer([
      { path: 'etc/', type: 'dir' },
      { path: 'etc/.wh.hello' },
      { path: 'etc/second', content: 'second layer\n' },
    ]),
  ];
  appImage = writeImageLayout(join(base, 'app'), appLayers, { cmd: ['/bin/tool'] });
  await registry.pushLayout(join(base, 'app'), 'podstage/app:v1');
  await registry.pushLayout(join(base, 'app'), 'podstage/app-v2s2:v1', { format: 'v2s2' });

  const sharedBase = randomLayer(2 * 1024 * 1024, 'base/blob');
  sharedA = writeImageLayout(join(base, 'shared-a'), [sharedBase, randomLayer(64 * 1024, 'a/blob')]);
  sharedB = writeImageLayout(join(base, 'shared-b'), [sharedBase, randomLayer(64 * 1024, 'b/blob')]);
  await registry.pushLayout(join(base, 'shared-a'), 'podstage/shared-a:v1');
  await registry.pushLayout(join(base, 'shared-b'), 'podstage/shared-b:v1');

  platforms = writeMultiPlatformLayout(join(base, 'multi'));
  await registry.pushLayout(join(base, 'multi'), 'podstage/multi:v1', { all: true });
});

test.after(async () => {
  await registry?.stop();
  rmSync(base, { recursive: true, force: true });
});

test('anonymous pull stores the image under its canonical name and renders its tree', async () => {
  const store = freshStore();
  const events: PullProgress[] = [];
  const record = await pullImage(store, `docker://${registry.host}/podstage/app:v1`, { onProgress: (e) => events.push(e) });
  assert.is(record.id, appImage.manifest.digest);
  assert.equal(record.names, [`${registry.host}/podstage/app:v1`]);
  assert.is(record.source, `docker://${registry.host}/podstage/app:v1`);
  assert.is(record.configDigest, appImage.config.digest);
  assert.equal(record.layers.map((l) => l.digest), appImage.layers.map((l) => l.digest));
  assert.is(store.resolve(`${registry.host}/podstage/app:v1`).id, record.id);
  assert.equal(store.runConfig(record.id).cmd, ['/bin/tool']);

  const tree = await store.treePath(record.id);
  assert.is(readFileSync(join(tree, 'bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
  assert.is(readFileSync(join(tree, 'etc/second'), 'utf8'), 'second layer\n');
  assert.not.ok(existsSync(join(tree, 'etc/hello')), 'whiteout of the second layer applied');

  assert.is(events[0]?.kind, 'manifest');
  assert.equal(events.filter((e) => e.kind === 'layer-done').map((e) => e.digest).sort(), appImage.layers.map((l) => l.digest).sort());
  assert.equal(readdirSync(store.tempRoot), [], 'no staging left behind');
});

test('a Docker schema 2 image is stored and rendered like an OCI one', async () => {
  const store = freshStore();
  const record = await pullImage(store, `${registry.host}/podstage/app-v2s2:v1`);
  assert.is(record.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.ok(record.layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip'), JSON.stringify(record.layers));
  assert.equal(store.runConfig(record.id).cmd, ['/bin/tool']);
  const tree = await store.treePath(record.id);
  assert.is(readFileSync(join(tree, 'etc/second'), 'utf8'), 'second layer\n');
  assert.not.ok(existsSync(join(tree, 'etc/hello')));
});

test('pull by digest names the image by digest', async () => {
  const store = freshStore();
  const record = await pullImage(store, `docker://${registry.host}/podstage/app@${appImage.manifest.digest}`);
  assert.equal(record.names, [`${registry.host}/podstage/app@${appImage.manifest.digest}`]);
});

test('an unknown tag fails naming the reference and the endpoint', async () => {
  const store = freshStore();
  try {
    await pullImage(store, `docker://${registry.host}/podstage/app:nope`);
    assert.unreachable();
  } catch (err) {
    const e = err as Error & { code?: string };
    assert.is(e.code, 'ERR_PODSTAGE_REGISTRY');
    assert.match(e.message, `docker://${registry.host}/podstage/app:nope`);
    assert.match(e.message, `${registry.host}/podstage/app`);
    assert.match(e.message, 'HTTP 404');
  }
  assert.equal(readdirSync(store.blobsDir), []);
});

test('an image index resolves to the host platform (amd64), or the one asked for', async () => {
  const client = new RegistryClient();
  const ref = parseDockerReference(`${registry.host}/podstage/multi:v1`);
  const amd64 = await client.resolveManifest(ref, { os: 'linux', architecture: 'amd64' });
  assert.is(amd64.digest, platforms.amd64.manifest.digest);
  assert.is(amd64.indexDigest, platforms.index.digest);
  const arm64 = await client.resolveManifest(ref, { os: 'linux', architecture: 'arm64' });
  assert.is(arm64.digest, platforms.arm64.manifest.digest);

  const store = freshStore();
  const record = await pullImage(store, ref, { platform: { os: 'linux', architecture: 'amd64' } });
  assert.is(record.id, platforms.amd64.manifest.digest);
  assert.is(readFileSync(join(await store.treePath(record.id), 'platform'), 'utf8'), 'amd64\n');
  if (process.arch === 'x64') assert.is((await client.resolveManifest(ref)).digest, platforms.amd64.manifest.digest);

  try {
    await client.resolveManifest(ref, { os: 'linux', architecture: 's390x' });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, 'no manifest for linux/s390x, offered: linux/amd64, linux/arm64/v8');
  }
});

test('a shared layer already in the store is not fetched again', async () => {
  const store = freshStore();
  await pullImage(store, `${registry.host}/podstage/shared-a:v1`);
  const events: PullProgress[] = [];
  await pullImage(store, `${registry.host}/podstage/shared-b:v1`, { onProgress: (e) => events.push(e) });
  const baseDigest = sharedA.layers[0]?.digest;
  assert.equal(events.filter((e) => e.kind === 'layer-skip').map((e) => e.digest), [baseDigest]);
  assert.equal(events.filter((e) => e.kind === 'layer-start').map((e) => e.digest), [sharedB.layers[1]?.digest]);
});

test('concurrent pulls of two images sharing a layer both succeed, the shared blob stored once', async () => {
  const store = freshStore();
  const [a, b] = await Promise.all([pullImage(store, `${registry.host}/podstage/shared-a:v1`), pullImage(store, `${registry.host}/podstage/shared-b:v1`)]);
  assert.is(a.id, sharedA.manifest.digest);
  assert.is(b.id, sharedB.manifest.digest);
  const blobs = readdirSync(store.blobsDir).sort();
  const expected = [...new Set([sharedA, sharedB].flatMap((i) => [i.manifest, i.config, ...i.layers].map((blob) => blob.digest.slice(7))))].sort();
  assert.equal(blobs, expected);
  assert.is(expected.length, 7);
  assert.equal(readdirSync(store.tempRoot), []);
  const treeA = await store.treePath(a.id);
  assert.ok(existsSync(join(treeA, 'base/blob')) && existsSync(join(treeA, 'a/blob')));
});

test('a mirror that is down falls through to the original location, which `location` rewrote', async () => {
  const deadPort = await freePort();
  const registries = new RegistriesConf([
    {
      prefix: 'registry.example.test/team',
      location: `${registry.host}/podstage`,
      insecure: false,
      blocked: false,
      mirrorByDigestOnly: false,
      mirrors: [{ location: `127.0.0.1:${deadPort}/mirror`, insecure: false }],
      file: 'test',
    },
  ]);
  const notes: string[] = [];
  const store = freshStore();
  const record = await pullImage(store, 'docker://registry.example.test/team/app:v1', { registries, debug: (m) => notes.push(m) });
  assert.is(record.id, appImage.manifest.digest);
  assert.equal(record.names, ['registry.example.test/team/app:v1']);
  assert.ok(
    notes.some((n) => n.includes(`127.0.0.1:${deadPort}/mirror/app (mirror) failed`) && n.includes('ECONNREFUSED')),
    notes.join('\n'),
  );
});

test('a working mirror is used before an original location that is down', async () => {
  const deadPort = await freePort();
  const registries = new RegistriesConf([
    { prefix: `127.0.0.1:${deadPort}`, location: `127.0.0.1:${deadPort}`, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [{ location: registry.host, insecure: true }], file: 'test' },
  ]);
  const client = new RegistryClient({ registries });
  const resolved = await client.resolveManifest(parseDockerReference(`127.0.0.1:${deadPort}/podstage/app:v1`));
  assert.equal(resolved.endpoint, { host: registry.host, repository: 'podstage/app', insecure: true, mirror: true });
  assert.is(resolved.digest, appImage.manifest.digest);
});

test('when every endpoint fails, the error names the reference and each endpoint with its reason', async () => {
  const deadPort = await freePort();
  const registries = new RegistriesConf([
    { prefix: 'registry.example.test', location: registry.host, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [{ location: `127.0.0.1:${deadPort}`, insecure: false }], file: 'test' },
  ]);
  try {
    await pullImage(freshStore(), 'registry.example.test/podstage/missing:v1', { registries });
    assert.unreachable();
  } catch (err) {
    const e = err as Error & { code?: string };
    assert.is(e.code, 'ERR_PODSTAGE_REGISTRY');
    assert.match(e.message, 'docker://registry.example.test/podstage/missing:v1');
    assert.match(e.message, `127.0.0.1:${deadPort}/podstage/missing (mirror): ECONNREFUSED`);
    assert.match(e.message, `${registry.host}/podstage/missing: manifest`);
    assert.match(e.message, 'HTTP 404');
  }
});

test('verify runs before any layer is fetched; throwing aborts with nothing stored', async () => {
  const store = freshStore();
  let seen: { manifestDigest: string; manifest: Buffer } | undefined;
  try {
    await pullImage(store, `${registry.host}/podstage/app:v1`, {
      verify: async (ctx) => {
        seen = ctx;
        throw new Error('no signature');
      },
    });
    assert.unreachable();
  } catch (err) {
    assert.is((err as Error).message, 'no signature');
  }
  assert.is(seen?.manifestDigest, appImage.manifest.digest);
  assert.ok(seen?.manifest.equals(appImage.manifest.bytes));
  assert.equal(readdirSync(store.blobsDir), []);
  assert.equal(readdirSync(store.metaDir), []);
  assert.equal(readdirSync(store.refsDir), []);
});

test.run();
