import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { importImage } from '@podstage/images/import';
import { normalizeImageName } from '@podstage/images';
import { ImageStore } from '@podstage/images';
import { tempDir } from '../helpers/fs-snapshot.js';
import { sha256, writeTinyLayout } from '../helpers/oci-layout.js';

let base = '';
let store: ImageStore;

test.before.each(() => {
  base = tempDir('store');
  store = new ImageStore(join(base, 'data'));
});

test.after.each(() => {
  rmSync(base, { recursive: true, force: true });
});

const SHARED_LAYER = [{ path: 'bin/', type: 'dir' as const }, { path: 'bin/tool', content: 'shared', mode: 0o755 }];

async function importTiny(name: string, options: { extra?: string; names?: string; config?: object } = {}) {
  const layers = [SHARED_LAYER, [{ path: `${name}.txt`, content: options.extra ?? name }]];
  const layout = writeTinyLayout(join(base, `layout-${name}`), layers, options.config === undefined ? {} : { config: options.config });
  const record = await importImage(store, `oci:${layout.dir}`, options.names === undefined ? {} : { name: options.names });
  return { layout, record };
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

test('resolve by full name, name without :latest, id, and id prefix', async () => {
  const { record } = await importTiny('a', { names: 'example.com/tools/a' });
  assert.equal(record.names, ['example.com/tools/a:latest']);
  const hex = record.id.slice('sha256:'.length);
  for (const ref of ['example.com/tools/a:latest', 'example.com/tools/a', record.id, `sha256:${hex.slice(0, 12)}`, hex.slice(0, 12), hex]) {
    assert.is(store.resolve(ref).id, record.id, ref);
  }
  for (const ref of ['example.com/tools/b', hex.slice(0, 11), 'sha256:' + '0'.repeat(64), '', '../../etc/passwd']) {
    try {
      store.resolve(ref);
      assert.unreachable(`resolved ${ref}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_IMAGE_NOT_FOUND', ref);
      assert.ok((err as Error).message.includes(`\`${ref}\``), 'the error names the ref');
    }
  }
});

test('image names are distribution references; anything else is refused naming its source', () => {
  const hex = 'a'.repeat(64);
  const valid: [string, string][] = [
    ['app', 'app:latest'],
    ['x:1', 'x:1'],
    ['podstage.io/default', 'podstage.io/default:latest'],
    ['localhost:5000/a/b-c__d.e:v1.0', 'localhost:5000/a/b-c__d.e:v1.0'],
    ['Registry.Example/team/app', 'Registry.Example/team/app:latest'],
    ['[::1]:5000/app:t', '[::1]:5000/app:t'],
    [`example.com/app@sha256:${hex}`, `example.com/app@sha256:${hex}`],
  ];
  for (const [name, normalized] of valid) assert.is(normalizeImageName(name), normalized, name);
  const invalid = ['a/../../b', '../b', 'a/./b', './a', 'a//b', 'a/b/', '/a', 'App', 'a:', 'a:-x', 'a@sha256:abc', 'a b', `${'a'.repeat(256)}`, ''];
  for (const name of invalid) {
    try {
      normalizeImageName(name, '--name');
      assert.unreachable(`accepted ${name}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_USAGE', name);
      assert.ok((err as Error).message.startsWith(`--name \`${name}\`: `), (err as Error).message);
      assert.not.match((err as Error).message, '\n');
    }
  }
});

test('moving a name to a new image removes it from the old record', async () => {
  const first = await importTiny('one', { names: 'x:1' });
  const second = await importTiny('two', { names: 'x:1' });
  assert.is(store.resolve('x:1').id, second.record.id);
  assert.equal(store.get(first.record.id).names, []);
  assert.equal(store.get(second.record.id).names, ['x:1']);
  assert.is(store.list().length, 2);
  store.tag('x:2', first.record.id);
  assert.equal(store.get(first.record.id).names, ['x:2']);
  assert.equal([...store.refs().entries()].sort(), [
    ['x:1', second.record.id],
    ['x:2', first.record.id],
  ]);
});

/** Each worker process names the image 25 times and marks it used in between: read-modify-writes of one record. */
const NAMING_WORKER = `
  const [storeUrl, dataDir, id, worker] = process.argv.slice(1);
  const { ImageStore } = await import(storeUrl);
  const store = new ImageStore(dataDir);
  const record = store.get(id);
  for (let i = 0; i < 25; i += 1) {
    store.addImage({ ...record, names: [\`w\${worker}/n:\${i}\`] });
    store.markUsed(id);
  }
`;

test('names given by concurrent processes are all kept', async () => {
  const { record } = await importTiny('c');
  const storeUrl = import.meta.resolve('@podstage/images');
  const workers = [1, 2, 3, 4].map((w) => execa(process.execPath, ['--input-type=module', '-e', NAMING_WORKER, storeUrl, store.dataDir, record.id, String(w)]));
  await Promise.all(workers);
  const expected = [1, 2, 3, 4].flatMap((w) => Array.from({ length: 25 }, (_, i) => `w${w}/n:${i}`)).sort();
  assert.equal([...store.get(record.id).names].sort(), expected);
  assert.equal([...store.refs().keys()].sort(), expected);
});

test('runConfig: values from the config, defaults when absent', async () => {
  const full = await importTiny('full', {
    config: { config: { Entrypoint: ['/bin/app'], Cmd: ['--x'], Env: ['A=1'], WorkingDir: '/srv', User: '1000:1000', ExposedPorts: { '80/tcp': {} }, Labels: { l: 'v' } } },
  });
  assert.equal(store.runConfig(full.record.id), {
    entrypoint: ['/bin/app'],
    cmd: ['--x'],
    env: ['A=1'],
    workingDir: '/srv',
    user: '1000:1000',
    exposedPorts: ['80/tcp'],
    labels: { l: 'v' },
  });
  const bare = await importTiny('bare', { config: { architecture: 'amd64', os: 'linux' } });
  assert.equal(store.runConfig(bare.record.id), { entrypoint: [], cmd: [], env: [], workingDir: '/', user: '', exposedPorts: [], labels: {} });
});

test('remove refuses an image in use, then reclaims refs, meta, tree and unshared blobs', async () => {
  const a = await importTiny('a', { names: 'a' });
  const b = await importTiny('b', { names: 'b' });
  const tree = await store.treePath(a.record.id);
  assert.ok(existsSync(join(tree, 'bin/tool')));

  assert.is(await codeOf(() => store.remove(a.record.id, (id) => id === a.record.id)), 'ERR_PODSTAGE_IMAGE');
  assert.ok(existsSync(tree), 'refused removal keeps the tree');
  assert.is(store.resolve('a').id, a.record.id);

  const [shared, own] = a.layout.layerDigests as [string, string];
  const result = await store.remove(a.record.id, () => false);
  assert.equal(result.names, ['a:latest']);
  assert.equal(result.blobsRemoved.sort(), [a.record.id, a.record.configDigest, own].sort());
  assert.not.ok(existsSync(tree));
  assert.not.ok(existsSync(join(store.treesDir, a.record.id.slice(7))));
  assert.not.ok(store.hasBlob(own));
  assert.ok(store.hasBlob(shared), 'a layer image b also uses stays');
  assert.is(await codeOf(() => store.resolve('a')), 'ERR_PODSTAGE_IMAGE_NOT_FOUND');
  assert.equal(store.list().map((r) => r.id), [b.record.id]);
  assert.equal(readdirSync(store.treesDir), [], 'no temp tree left');

  await store.remove('b', () => false);
  assert.equal(readdirSync(store.blobsDir), [], 'every blob reclaimed');
  assert.equal(readdirSync(store.refsDir), []);
  assert.equal(readdirSync(store.metaDir), []);
});

test('treePath renders once, also for concurrent callers and stores', async () => {
  const { record } = await importTiny('t');
  const other = new ImageStore(join(base, 'data'));
  const paths = await Promise.all([store.treePath(record.id), store.treePath(record.id), other.treePath(record.id), other.treePath(record.id)]);
  assert.is(new Set(paths).size, 1);
  assert.equal(readdirSync(store.treesDir), [record.id.slice(7)], 'the losing render was discarded');
  assert.equal(readdirSync(paths[0] as string).sort(), ['bin', 't.txt']);
});

test('a layer that fails to render leaves no tree and no temp directory', async () => {
  const layout = writeTinyLayout(join(base, 'layout-evil'), [[{ path: 'ok', content: 'ok' }], [{ path: '../escape', content: 'x' }]]);
  const record = await importImage(store, `oci:${layout.dir}`);
  assert.is(await codeOf(() => store.treePath(record.id)), 'ERR_PODSTAGE_UNSAFE_PATH');
  assert.equal(readdirSync(store.treesDir), []);
  assert.not.ok(existsSync(join(store.treesDir, 'escape')));
});

test('putBlobFromStream: a blob is complete and correct or absent', async () => {
  const data = Buffer.from('hello blob');
  const digest = sha256(data);
  assert.is(await codeOf(() => store.putBlobFromStream(Readable.from([data]), sha256('other'))), 'ERR_PODSTAGE_DIGEST');
  assert.not.ok(store.hasBlob(digest));
  assert.is(await codeOf(() => store.putBlobFromStream(Readable.from([data]), digest, data.length + 1)), 'ERR_PODSTAGE_DIGEST');
  assert.not.ok(store.hasBlob(digest));
  assert.is(await codeOf(() => store.putBlobFromStream(Readable.from([data]), 'md5:abc')), 'ERR_PODSTAGE_DIGEST');
  const written = await store.putBlobFromStream(Readable.from([data]), digest, data.length);
  assert.equal(written, { digest, size: data.length });
  assert.ok(store.hasBlob(digest));
  assert.equal(readdirSync(store.tempRoot), [], 'no temp files left');
});

test('markUsed records the time', async () => {
  const { record } = await importTiny('u');
  assert.is(record.lastUsedAt, undefined);
  store.markUsed(record.id);
  assert.ok(Date.parse(store.get(record.id).lastUsedAt ?? '') > 0);
});

test('gcOrphans removes leftovers of dead processes, orphan trees and unreferenced blobs', async () => {
  const { record } = await importTiny('g');
  const tree = await store.treePath(record.id);
  const deadPid = 999_999_999;
  mkdirSync(join(store.tempRoot, `image-import-${deadPid}-abcdefabcdef`));
  mkdirSync(join(store.tempRoot, `image-import-${process.pid}-abcdefabcdef`));
  mkdirSync(join(store.tempRoot, `not-ours-${deadPid}-abcdefabcdef`));
  mkdirSync(join(store.treesDir, `.tmp-${deadPid}-abcdefabcdef`));
  mkdirSync(join(store.treesDir, 'f'.repeat(64), 'rootfs'), { recursive: true });
  writeFileSync(join(store.metaDir, `.x.json.tmp-${deadPid}-abcdefabcdef`), '{');
  const orphan = Buffer.from('orphan');
  await store.putBlobFromStream(Readable.from([orphan]));
  const fresh = Buffer.from('fresh orphan');
  await store.putBlobFromStream(Readable.from([fresh]));
  utimesSync(store.blobPath(sha256(orphan)), new Date(0), new Date(0));

  const result = await store.gcOrphans();
  assert.equal(result, { tempEntries: 3, trees: 1, blobs: 1 });
  assert.not.ok(store.hasBlob(sha256(orphan)));
  assert.ok(store.hasBlob(sha256(fresh)), 'a young unreferenced blob survives the grace period');
  assert.equal(readdirSync(store.tempRoot).sort(), [`image-import-${process.pid}-abcdefabcdef`, `not-ours-${deadPid}-abcdefabcdef`]);
  assert.equal(readdirSync(store.treesDir), [record.id.slice(7)]);
  assert.ok(existsSync(tree));

  assert.equal(await store.gcOrphans({ blobGraceMs: 0 }), { tempEntries: 0, trees: 0, blobs: 1 });
  for (const digest of [record.id, record.configDigest, ...record.layers.map((l) => l.digest)]) assert.ok(store.hasBlob(digest));
});

test.run();
