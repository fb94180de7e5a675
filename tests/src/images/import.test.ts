import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { buildDefaultImageLayout, DEFAULT_IMAGE_NAME } from '@podstage/images/default-image';
import { importImage, parseTransportRef } from '@podstage/images/import';
import { ImageStore } from '@podstage/images';
import { snapshot, tempDir } from '../helpers/fs-snapshot.js';
import { sha256, writeTinyLayout } from '../helpers/oci-layout.js';
import { rawTar } from '../helpers/tar-writer.js';

let base = '';
let layout = '';
let manifestDigest = '';
let store: ImageStore;

test.before(async () => {
  base = tempDir('import');
  layout = join(base, 'layout');
  manifestDigest = (await buildDefaultImageLayout(layout)).manifestDigest;
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

let storeCount = 0;
test.before.each(() => {
  storeCount += 1;
  store = new ImageStore(join(base, `data-${storeCount}`));
});

function storeFiles(s: ImageStore) {
  return { blobs: readdirSync(s.blobsDir), meta: readdirSync(s.metaDir), refs: readdirSync(s.refsDir), tmp: readdirSync(s.tempRoot), trees: readdirSync(s.treesDir) };
}

function layoutJson(path: string): { manifests: { digest: string }[]; layers: { digest: string }[]; config: { digest: string } } {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function blobFile(dir: string, digest: string) {
  return join(dir, 'blobs', 'sha256', digest.slice(7));
}

type ManifestJson = { config: { digest: string; size: number }; layers: { digest: string; size: number; mediaType: string }[] };
type ConfigJson = { rootfs: { diff_ids: string[] } };

/** Writes `value` as a blob of the layout `dir`; returns its digest and size. */
function writeJsonBlob(dir: string, value: unknown): { digest: string; size: number } {
  const text = JSON.stringify(value);
  writeFileSync(blobFile(dir, sha256(text)), text);
  return { digest: sha256(text), size: Buffer.byteLength(text) };
}

/** A copy of `layout` whose config and manifest are rewritten by `edit` (as a hostile publisher would); returns its directory. */
function withEditedImage(name: string, edit: { manifest?: (manifest: ManifestJson) => void; config?: (config: ConfigJson) => void }): string {
  const dir = join(base, name);
  cpSync(layout, dir, { recursive: true });
  const indexPath = join(dir, 'index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: { digest: string; size: number }[] };
  const manifest = JSON.parse(readFileSync(blobFile(dir, index.manifests[0]?.digest ?? ''), 'utf8')) as ManifestJson;
  if (edit.config !== undefined) {
    const config = JSON.parse(readFileSync(blobFile(dir, manifest.config.digest), 'utf8')) as ConfigJson;
    edit.config(config);
    manifest.config = { ...manifest.config, ...writeJsonBlob(dir, config) };
  }
  edit.manifest?.(manifest);
  index.manifests[0] = { ...index.manifests[0], ...writeJsonBlob(dir, manifest) };
  writeFileSync(indexPath, JSON.stringify(index));
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

test('transport references split at the first colon', () => {
  assert.equal(parseTransportRef('oci:/a/b'), { transport: 'oci', path: '/a/b', ref: undefined });
  assert.equal(parseTransportRef('docker-archive:/x.tar:busybox:1.36'), { transport: 'docker-archive', path: '/x.tar', ref: 'busybox:1.36' });
  assert.throws(() => parseTransportRef('docker://busybox'), /oci:PATH/);
  assert.throws(() => parseTransportRef('oci:'), /non-empty path/);
});

test('oci: imports the default image, names it, renders a runnable tree', async () => {
  const record = await importImage(store, `oci:${layout}`, { name: DEFAULT_IMAGE_NAME });
  assert.is(record.id, manifestDigest);
  assert.equal(record.names, [DEFAULT_IMAGE_NAME]);
  assert.is(record.source, `oci:${layout}`);
  assert.is(record.layers.length, 1);
  assert.ok(store.hasBlob(record.configDigest));
  assert.equal(store.runConfig(record.id).cmd, ['sh']);
  assert.is(store.resolve('podstage.io/default').id, record.id);
  const tree = await store.treePath(record.id);
  assert.ok(existsSync(join(tree, 'bin/busybox')));
  assert.equal(storeFiles(store).tmp, [], 'archive and staging temp dirs are gone');

  // A bare tag annotation (`latest`) is not a name; selecting by it works.
  const again = await importImage(store, `oci:${layout}:latest`);
  assert.is(again.id, record.id);
  assert.equal(again.names, [DEFAULT_IMAGE_NAME], 're-import keeps existing names');
  const missing = await rejection(importImage(store, `oci:${layout}:nope`));
  assert.is(missing.code, 'ERR_PODSTAGE_IMAGE_NOT_FOUND');
  assert.match(missing.message, /nope/);
});

test('oci-archive: a tar of the layout imports to the same id', async () => {
  const archive = join(base, 'default.oci.tar');
  await tar.c({ file: archive, cwd: layout, portable: true }, ['oci-layout', 'index.json', 'blobs']);
  const record = await importImage(store, `oci-archive:${archive}`);
  assert.is(record.id, manifestDigest);
  assert.equal(record.names, []);
  assert.is(record.source, `oci-archive:${archive}`);
  assert.equal(storeFiles(store).tmp, []);

  // A layout inside a single top-level directory is found too.
  const nested = join(base, 'nested.oci.tar');
  await tar.c({ file: nested, cwd: base, portable: true }, ['layout']);
  assert.is((await importImage(store, `oci-archive:${nested}`, { name: 'nested' })).id, manifestDigest);
  assert.equal(store.get(manifestDigest).names, ['nested:latest']);
});

test('oci-archive: unsafe archive entries are refused and nothing escapes', async () => {
  const archive = join(base, 'evil.oci.tar');
  writeFileSync(archive, rawTar([{ path: 'oci-layout', content: '{}' }, { path: '../../escape-import', content: 'x' }]));
  const before = snapshot(base, [store.root, store.tempRoot]);
  const err = await rejection(importImage(store, `oci-archive:${archive}`));
  assert.is(err.code, 'ERR_PODSTAGE_IMAGE');
  assert.match(err.message, /evil\.oci\.tar/);
  assert.equal([...snapshot(base, [store.root, store.tempRoot])], [...before]);
  assert.not.ok(existsSync(join(base, '..', 'escape-import')));
  assert.equal(storeFiles(store).tmp, []);
});

let dockerArchives = 0;

/** `docker save` legacy format: <config hex>.json, <id>/layer.tar, manifest.json; one layer shared by symlink. */
async function writeDockerArchive(options: { corruptDiffId?: boolean; gzipLayer?: boolean; repoTags?: string[] } = {}): Promise<string> {
  const index = layoutJson(join(layout, 'index.json'));
  const manifest = layoutJson(blobFile(layout, index.manifests[0]?.digest ?? ''));
  const layerTar = gunzipSync(readFileSync(blobFile(layout, manifest.layers[0]?.digest ?? '')));
  let configText = readFileSync(blobFile(layout, manifest.config.digest), 'utf8');
  if (options.corruptDiffId) configText = configText.replace(/"diff_ids":\["sha256:[0-9a-f]{64}"\]/, `"diff_ids":["${sha256('nope')}"]`);
  const configName = `${sha256(configText).slice(7)}.json`;
  const dir = join(base, `docker-${(dockerArchives += 1)}`);
  mkdirSync(join(dir, 'aaaa'), { recursive: true });
  mkdirSync(join(dir, 'bbbb'));
  writeFileSync(join(dir, 'aaaa', 'layer.tar'), options.gzipLayer ? gzipSync(layerTar) : layerTar);
  symlinkSync('../aaaa/layer.tar', join(dir, 'bbbb', 'layer.tar'));
  writeFileSync(join(dir, configName), configText);
  const repoTags = options.repoTags ?? ['busybox:test', 'example.com/bb:1'];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: ['bbbb/layer.tar'] }]));
  const archive = `${dir}.tar`;
  await tar.c({ file: archive, cwd: dir, portable: true }, readdirSync(dir));
  return archive;
}

test('docker-archive: converted to an OCI manifest, tags become names', async () => {
  const archive = await writeDockerArchive();
  const record = await importImage(store, `docker-archive:${archive}`);
  assert.equal(record.names.sort(), ['busybox:test', 'example.com/bb:1']);
  assert.is(record.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.is(record.layers[0]?.mediaType, 'application/vnd.oci.image.layer.v1.tar');
  const generated = JSON.parse(readFileSync(store.blobPath(record.id), 'utf8')) as { config: { digest: string } };
  assert.is(sha256(readFileSync(store.blobPath(record.id))), record.id, 'the id is the digest of the generated manifest');
  assert.is(generated.config.digest, record.configDigest);
  assert.equal(store.runConfig(record.id).env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.ok(existsSync(join(await store.treePath(record.id), 'bin/busybox')));

  const byRef = await importImage(store, `docker-archive:${archive}:busybox:test`, {});
  assert.is(byRef.id, record.id);
  const missing = await rejection(importImage(store, `docker-archive:${archive}:busybox:nope`));
  assert.is(missing.code, 'ERR_PODSTAGE_IMAGE_NOT_FOUND');
  assert.equal(storeFiles(store).tmp, []);
});

test('docker-archive: a layer (plain or gzip) that does not match its diff_id is refused', async () => {
  for (const gzipLayer of [false, true]) {
    const archive = await writeDockerArchive({ corruptDiffId: true, gzipLayer });
    const err = await rejection(importImage(store, `docker-archive:${archive}`));
    assert.is(err.code, 'ERR_PODSTAGE_DIGEST', `gzip: ${gzipLayer}`);
    assert.match(err.message, 'layer `bbbb/layer.tar` (layers[0]): uncompressed digest is sha256:');
    assert.match(err.message, /expected rootfs\.diff_ids\[0\]/);
    assert.equal(storeFiles(store), { blobs: [], meta: [], refs: [], tmp: [], trees: [] });
  }
  assert.is((await importImage(store, `docker-archive:${await writeDockerArchive({ gzipLayer: true })}`)).layers[0]?.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
});

test('names that are not valid references are refused (name, docker-archive REF and RepoTags, ref annotation); nothing is stored', async () => {
  const empty = storeFiles(store);
  const refused = async (source: string, options: { name?: string }, code: string, ...names: string[]) => {
    const err = await rejection(importImage(store, source, options));
    assert.is(err.code, code, err.message);
    for (const name of names) assert.match(err.message, name);
    assert.equal(storeFiles(store), empty);
  };
  await refused(`oci:${layout}`, { name: 'a/../../b' }, 'ERR_PODSTAGE_USAGE', 'image name `a/../../b`: repository component `..`');
  const archive = await writeDockerArchive();
  await refused(`docker-archive:${archive}:a/../../b`, {}, 'ERR_PODSTAGE_USAGE', 'reference `a/../../b`: repository component `..`');
  const hostileTags = await writeDockerArchive({ repoTags: ['ok:1', 'x/../../etc:1'] });
  await refused(`docker-archive:${hostileTags}`, {}, 'ERR_PODSTAGE_IMAGE', 'RepoTags entry `x/../../etc:1`');
  const annotated = writeTinyLayout(join(base, 'hostile-annotation'), [[{ path: 'f', content: 'f' }]], { refName: 'a/../../b:1' });
  await refused(`oci:${annotated.dir}`, {}, 'ERR_PODSTAGE_IMAGE', 'annotation org.opencontainers.image.ref.name `a/../../b:1`');
  // An explicit valid name wins over the annotation.
  assert.equal((await importImage(store, `oci:${annotated.dir}`, { name: 'chosen' })).names, ['chosen:latest']);
});

test('a corrupt blob byte refuses the import and leaves the store as it was', async () => {
  const broken = join(base, 'broken-layout');
  cpSync(layout, broken, { recursive: true });
  const manifest = layoutJson(blobFile(broken, layoutJson(join(broken, 'index.json')).manifests[0]?.digest ?? ''));
  const layerDigest = manifest.layers[0]?.digest ?? '';
  const layerPath = blobFile(broken, layerDigest);
  const bytes = readFileSync(layerPath);
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
  writeFileSync(layerPath, bytes);

  // An empty store: nothing of the import may be left, not even the manifest or config blob.
  const err = await rejection(importImage(store, `oci:${broken}`, { name: 'broken' }));
  assert.is(err.code, 'ERR_PODSTAGE_DIGEST');
  assert.ok(err.message.includes(layerDigest), 'names the expected digest');
  assert.ok(err.message.includes(sha256(bytes)), 'names the actual digest');
  assert.equal(store.list(), []);
  assert.equal(storeFiles(store), { blobs: [], meta: [], refs: [], tmp: [], trees: [] });

  // A store holding another image: unchanged, its name still points at it.
  const tiny = writeTinyLayout(join(base, 'tiny-layout'), [[{ path: 'f', content: 'f' }]]);
  const existing = await importImage(store, `oci:${tiny.dir}`, { name: 'kept' });
  const before = { list: store.list(), files: storeFiles(store) };
  const again = await rejection(importImage(store, `oci:${broken}`, { name: 'kept' }));
  assert.is(again.code, 'ERR_PODSTAGE_DIGEST');
  assert.equal(store.list(), before.list);
  assert.equal(storeFiles(store), before.files);
  assert.is(store.resolve('kept').id, existing.id);

  // Also through an archive.
  const archive = join(base, 'broken.oci.tar');
  await tar.c({ file: archive, cwd: broken, portable: true }, ['oci-layout', 'index.json', 'blobs']);
  assert.is((await rejection(importImage(store, `oci-archive:${archive}`))).code, 'ERR_PODSTAGE_DIGEST');
  assert.equal(storeFiles(store), before.files);

  // Content addressing: a layer the store already holds (verified then) is not read again.
  const intact = await importImage(store, `oci:${layout}`);
  assert.is((await importImage(store, `oci:${broken}`)).id, intact.id);
});

test('a layer descriptor with the wrong size is refused also when the store holds the layer', async () => {
  const intact = await importImage(store, `oci:${layout}`, { name: 'intact' });
  const layer = intact.layers[0] as { digest: string; size: number };
  const before = { list: store.list(), files: storeFiles(store) };
  const wrong = withEditedImage('wrong-size-layout', { manifest: (m) => void ((m.layers[0] as { size: number }).size += 1) });
  const err = await rejection(importImage(store, `oci:${wrong}`, { name: 'wrong' }));
  assert.is(err.code, 'ERR_PODSTAGE_DIGEST');
  assert.match(err.message, `layer blob ${layer.digest}: size is ${layer.size} bytes, expected ${layer.size + 1} bytes`);
  assert.equal(store.list(), before.list);
  assert.equal(storeFiles(store), before.files);
});

test('layers must match the config\'s rootfs.diff_ids, also layers already in the store; nothing is stored otherwise', async () => {
  const empty = storeFiles(store);
  const wrongDiffId = sha256('not the layer');
  const bad = withEditedImage('wrong-diff-id', { config: (c) => (c.rootfs.diff_ids = [wrongDiffId]) });
  const manifest = layoutJson(blobFile(layout, layoutJson(join(layout, 'index.json')).manifests[0]?.digest ?? ''));
  const layerDigest = manifest.layers[0]?.digest ?? '';
  const realDiffId = sha256(gunzipSync(readFileSync(blobFile(layout, layerDigest))));
  const expectedMessage = `layer blob ${layerDigest} (layers[0]): uncompressed digest is ${realDiffId}, expected rootfs.diff_ids[0] ${wrongDiffId}`;

  const err = await rejection(importImage(store, `oci:${bad}`, { name: 'bad' }));
  assert.is(err.code, 'ERR_PODSTAGE_DIGEST');
  assert.match(err.message, expectedMessage);
  assert.equal(storeFiles(store), empty);

  await importImage(store, `oci:${layout}`, { name: 'intact' });
  const before = { list: store.list(), files: storeFiles(store) };
  const again = await rejection(importImage(store, `oci:${bad}`, { name: 'bad' }));
  assert.match(again.message, expectedMessage);
  assert.equal({ list: store.list(), files: storeFiles(store) }, before);

  const extra = withEditedImage('extra-diff-id', { config: (c) => c.rootfs.diff_ids.push(wrongDiffId) });
  const count = await rejection(importImage(store, `oci:${extra}`));
  assert.is(count.code, 'ERR_PODSTAGE_IMAGE');
  assert.match(count.message, '2 rootfs.diff_ids, expected one per layer of the manifest (1)');
  assert.equal({ list: store.list(), files: storeFiles(store) }, before);
});

test('missing sources and zstd layers are refused clearly', async () => {
  const missing = await rejection(importImage(store, `oci:${join(base, 'nope')}`));
  assert.is(missing.code, 'ERR_PODSTAGE_IMAGE');
  assert.match(missing.message, /does not exist/);

  const zstd = withEditedImage('zstd-layout', { manifest: (m) => m.layers.forEach((l) => (l.mediaType = l.mediaType.replace('tar+gzip', 'tar+zstd'))) });
  const err = await rejection(importImage(store, `oci:${zstd}`));
  assert.is(err.code, 'ERR_PODSTAGE_UNSUPPORTED');
  assert.match(err.message, /zstd/);
  assert.equal(storeFiles(store), { blobs: [], meta: [], refs: [], tmp: [], trees: [] });
});

test.run();
