import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { renderLayers } from '@podstage/images/render';
import { tempDir } from '../helpers/fs-snapshot.js';
import { rawTar, writeLayer } from '../helpers/tar-writer.js';

let base = '';
let root = '';

test.before.each(() => {
  base = tempDir('render');
  root = join(base, 'root');
  mkdirSync(root);
});

test.after.each(() => {
  rmSync(base, { recursive: true, force: true });
});

const read = (path: string) => readFileSync(join(root, path), 'utf8');

test('whiteouts, opaque directories and type changes follow overlay semantics', async () => {
  const lower = writeLayer(base, 'lower.tar', [
    { path: 'a/', type: 'dir' },
    { path: 'a/f1', content: '1' },
    { path: 'a/f2', content: '2' },
    { path: 'b/', type: 'dir' },
    { path: 'b/x', content: 'x' },
    { path: 'c', content: 'c' },
    { path: 'd/', type: 'dir' },
    { path: 'd/sub/', type: 'dir' },
    { path: 'd/sub/deep', content: 'deep' },
    { path: 'd/keep-not', content: 'gone' },
    { path: 'x', content: 'file becomes dir' },
    { path: 'z/', type: 'dir' },
    { path: 'z/inner', content: 'dir becomes file' },
    { path: 's', type: 'symlink', linkname: 'a' },
  ]);
  const upper = writeLayer(
    base,
    'upper.tar.gz',
    [
      { path: 'a/.wh.f1' },
      { path: '.wh.c' },
      { path: 'b/', type: 'dir' },
      { path: 'b/y', content: 'y' },
      { path: 'b/.wh..wh..opq' },
      { path: 'd/', type: 'dir' },
      { path: 'd/.wh..wh..opq' },
      { path: 'd/sub/', type: 'dir' },
      { path: 'd/sub/new', content: 'new' },
      { path: 'e', content: 'same layer' },
      { path: '.wh.e' },
      { path: 'x/', type: 'dir' },
      { path: 'x/y', content: 'inside' },
      { path: 'z', content: 'now a file' },
      { path: 's', type: 'symlink', linkname: 'b' },
      { path: 'h', type: 'hardlink', linkname: 'a/f2' },
    ],
    { gzip: true },
  );
  const result = await renderLayers([lower, upper], root);
  assert.equal(result.warnings, []);
  assert.not.ok(existsSync(join(root, 'a/f1')), 'a/f1 whited out');
  assert.is(read('a/f2'), '2');
  assert.not.ok(existsSync(join(root, 'c')), 'c whited out');
  assert.equal(readdirSync(join(root, 'b')), ['y'], 'opaque b keeps only the upper layer');
  assert.equal(readdirSync(join(root, 'd')), ['sub']);
  assert.equal(readdirSync(join(root, 'd/sub')), ['new'], 'opaque d hides lower d/sub content too');
  assert.is(read('e'), 'same layer', 'a whiteout never hides its own layer');
  assert.ok(lstatSync(join(root, 'x')).isDirectory());
  assert.is(read('x/y'), 'inside');
  assert.ok(lstatSync(join(root, 'z')).isFile());
  assert.is(read('z'), 'now a file');
  assert.is(readlinkSync(join(root, 's')), 'b');
  assert.is(statSync(join(root, 'h')).ino, statSync(join(root, 'a/f2')).ino);
  assert.not.ok(readdirSync(root).some((name) => name.startsWith('.wh.')), 'no whiteout markers written');
});

test('metadata: modes, owners, mtimes (directories too)', async () => {
  const l = writeLayer(base, 'meta.tar', [
    { path: './', type: 'dir', mode: 0o755 },
    { path: 'tmp/', type: 'dir', mode: 0o1777, mtime: 1_000_000 },
    { path: 'tmp/f', content: 'f', mode: 0o640, uid: 33, gid: 44, mtime: 2_000_000 },
    { path: 'link', type: 'symlink', linkname: '/nowhere', uid: 5, gid: 6, mtime: 3_000_000 },
  ]);
  await renderLayers([l], root);
  const tmp = lstatSync(join(root, 'tmp'));
  assert.is(tmp.mode & 0o7777, 0o1777);
  assert.is(tmp.mtimeMs, 1_000_000_000, 'directory mtime survives adding children');
  const f = lstatSync(join(root, 'tmp/f'));
  assert.is(f.mode & 0o7777, 0o640);
  assert.is(f.uid, 33);
  assert.is(f.gid, 44);
  assert.is(f.mtimeMs, 2_000_000_000);
  const link = lstatSync(join(root, 'link'));
  assert.is(link.uid, 5);
  assert.is(link.mtimeMs, 3_000_000_000);
});

test('large files stream through intact', async () => {
  const big = Buffer.alloc(5 * 1024 * 1024 + 123);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
  const l = writeLayer(base, 'big.tar.gz', [{ path: 'big.bin', content: big }], { gzip: true });
  await renderLayers([l], root);
  assert.ok(readFileSync(join(root, 'big.bin')).equals(big));
});

test('zstd layers and unknown media types are refused clearly', async () => {
  const l = writeLayer(base, 'l.tar', [{ path: 'f', content: 'f' }]);
  try {
    await renderLayers([{ path: l.path, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }], root);
    assert.unreachable('zstd accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_UNSUPPORTED');
    assert.match((err as Error).message, /zstd/);
  }
  writeFileSync(join(base, 'fake.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
  try {
    await renderLayers([{ path: join(base, 'fake.zst'), mediaType: 'application/vnd.oci.image.layer.v1.tar' }], root);
    assert.unreachable('zstd content accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_UNSUPPORTED');
  }
  try {
    await renderLayers([{ path: l.path, mediaType: 'text/plain' }], root);
    assert.unreachable('text/plain accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_IMAGE');
    assert.match((err as Error).message, /text\/plain/);
  }
});

test('a corrupt tar header is an error naming the layer', async () => {
  const tar = rawTar([{ path: 'f', content: 'f' }]);
  tar[148] = 0x37; // break the checksum
  writeFileSync(join(base, 'bad.tar'), tar);
  try {
    await renderLayers([{ path: join(base, 'bad.tar'), mediaType: 'application/vnd.oci.image.layer.v1.tar' }], root);
    assert.unreachable('corrupt tar accepted');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_IMAGE');
    assert.match((err as Error).message, /bad\.tar/);
  }
});

test.run();
