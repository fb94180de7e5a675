import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { renderLayers } from '@podstage/images/render';
import { snapshot, tempDir } from '../helpers/fs-snapshot.js';
import { writeLayer, type RawEntry } from '../helpers/tar-writer.js';

/**
 * Layout: BASE/sentinel/keep (a file that must never change), BASE/victim
 * and BASE/outside (whiteout / hard-link targets), BASE/layers, and the
 * rootfs three levels down at BASE/t1/t2/root so that `../../..` from the
 * rootfs would reach BASE on the host.
 */
let base = '';
let root = '';
let before = new Map<string, string>();

test.before.each(() => {
  base = tempDir('render-evil');
  root = join(base, 't1', 't2', 'root');
  mkdirSync(root, { recursive: true });
  mkdirSync(join(base, 'sentinel'));
  writeFileSync(join(base, 'sentinel', 'keep'), 'untouched');
  writeFileSync(join(base, 'victim'), 'still here');
  writeFileSync(join(base, 'outside'), 'secret');
  mkdirSync(join(base, 'layers'));
});

test.after.each(() => {
  rmSync(base, { recursive: true, force: true });
});

function layer(entries: RawEntry[], name = 'evil.tar') {
  return writeLayer(join(base, 'layers'), name, entries);
}

/** Snapshot after the layer files were written, so only rendering can change it. */
function freeze() {
  before = snapshot(base, [root]);
}

function assertOutsideUntouched() {
  assert.equal([...snapshot(base, [root])], [...before]);
  assert.is(readFileSync(join(base, 'sentinel', 'keep'), 'utf8'), 'untouched');
  assert.is(lstatSync(join(base, 'outside')).nlink, 1);
  assert.is(lstatSync(join(base, 'sentinel', 'keep')).nlink, 1);
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  try {
    await promise;
  } catch (err) {
    assert.is((err as { code?: string }).code, code, String(err));
    if (pattern) assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected rejection with ${code}`);
}

test('`../escape` is refused', async () => {
  const l = layer([{ path: '../escape', content: 'x' }, { path: '../../../sentinel/pwned', content: 'x' }]);
  freeze();
  await rejectsWith(renderLayers([l], root), 'ERR_PODSTAGE_UNSAFE_PATH', /\.\.\/escape/);
  assertOutsideUntouched();
  assert.not.ok(existsSync(join(root, '..', 'escape')));
});

test('`a/../../escape` is refused even after a valid prefix', async () => {
  const l = layer([{ path: 'a/', type: 'dir' }, { path: 'a/../../escape', content: 'x' }]);
  freeze();
  await rejectsWith(renderLayers([l], root), 'ERR_PODSTAGE_UNSAFE_PATH');
  assertOutsideUntouched();
});

test('absolute paths land inside the rootfs', async () => {
  const abs = join(base, 'sentinel', 'pwned');
  const l = layer([{ path: '/abs/escape', content: 'x' }, { path: abs, content: 'x' }]);
  freeze();
  await renderLayers([l], root);
  assertOutsideUntouched();
  assert.is(readFileSync(join(root, 'abs', 'escape'), 'utf8'), 'x');
  assert.ok(existsSync(join(root, abs)));
});

test('symlink `evil -> /` then `evil/...` writes inside the rootfs', async () => {
  const l = layer([
    { path: 'evil', type: 'symlink', linkname: '/' },
    { path: 'evil/etc/pwned', content: 'x' },
    { path: `evil${join(base, 'sentinel', 'pwned')}`, content: 'x' },
    { path: `evil${join(base, 'sentinel', 'keep')}`, content: 'overwritten?' },
  ]);
  freeze();
  await renderLayers([l], root);
  assertOutsideUntouched();
  assert.not.ok(existsSync('/etc/pwned'));
  assert.is(readFileSync(join(root, 'etc', 'pwned'), 'utf8'), 'x');
  assert.is(readlinkSync(join(root, 'evil')), '/', 'absolute link text is stored as-is');
  assert.is(readFileSync(join(root, base, 'sentinel', 'keep'), 'utf8'), 'overwritten?');
});

test('symlink `evil -> ../../..` then `evil/x` stays inside', async () => {
  const l = layer([
    { path: 'evil', type: 'symlink', linkname: '../../..' },
    { path: 'evil/x', content: 'x' },
    { path: 'evil/sentinel/keep', content: 'overwritten?' },
    { path: 'evil/victim', content: 'overwritten?' },
  ]);
  freeze();
  await renderLayers([l], root);
  assertOutsideUntouched();
  assert.is(readFileSync(join(base, 'victim'), 'utf8'), 'still here');
  assert.is(readFileSync(join(root, 'x'), 'utf8'), 'x');
  assert.is(readFileSync(join(root, 'sentinel', 'keep'), 'utf8'), 'overwritten?');
});

test('a symlinked parent planted in a lower layer is resolved inside', async () => {
  const lower = layer([{ path: 'etc', type: 'symlink', linkname: join(base, 'sentinel') }], 'lower.tar');
  const upper = layer([{ path: 'etc/keep', content: 'overwritten?' }], 'upper.tar');
  freeze();
  await renderLayers([lower, upper], root);
  assertOutsideUntouched();
  assert.is(readFileSync(join(root, base, 'sentinel', 'keep'), 'utf8'), 'overwritten?');
});

test('a file replaces a final symlink instead of writing through it', async () => {
  const lower = layer([{ path: 'passwd', type: 'symlink', linkname: join(base, 'sentinel', 'keep') }], 'lower.tar');
  const upper = layer([{ path: 'passwd', content: 'new' }], 'upper.tar');
  freeze();
  await renderLayers([lower, upper], root);
  assertOutsideUntouched();
  assert.ok(lstatSync(join(root, 'passwd')).isFile());
  assert.is(readFileSync(join(root, 'passwd'), 'utf8'), 'new');
});

test('a hard link to `../../outside` is refused', async () => {
  const l = layer([{ path: 'stolen', type: 'hardlink', linkname: '../../outside' }]);
  freeze();
  await rejectsWith(renderLayers([l], root), 'ERR_PODSTAGE_UNSAFE_PATH', /stolen/);
  assertOutsideUntouched();
});

test('a hard link through a symlinked directory never links a host file', async () => {
  const absolute = layer([
    { path: 'd', type: 'symlink', linkname: join(base, 'sentinel') },
    { path: 'stolen', type: 'hardlink', linkname: 'd/keep' },
  ]);
  freeze();
  await rejectsWith(renderLayers([absolute], root), 'ERR_PODSTAGE_IMAGE', /hard link/);
  assertOutsideUntouched();

  const relative = layer(
    [
      { path: 'r', type: 'symlink', linkname: '../../..' },
      { path: 'stolen', type: 'hardlink', linkname: 'r/outside' },
    ],
    'relative.tar',
  );
  freeze();
  await rejectsWith(renderLayers([relative], root), 'ERR_PODSTAGE_IMAGE', /hard link/);
  assertOutsideUntouched();
});

test('whiteout `../.wh.victim` is refused and deletes nothing', async () => {
  const l = layer([{ path: '../.wh.victim' }, { path: '../../../.wh.victim' }]);
  freeze();
  await rejectsWith(renderLayers([l], root), 'ERR_PODSTAGE_UNSAFE_PATH');
  assertOutsideUntouched();
  assert.is(readFileSync(join(base, 'victim'), 'utf8'), 'still here');
});

test('whiteouts through symlinked directories delete inside only', async () => {
  const l = layer([
    { path: 'up', type: 'symlink', linkname: '../../..' },
    { path: 'abs', type: 'symlink', linkname: base },
    { path: 'up/.wh.victim' },
    { path: 'abs/.wh.victim' },
    { path: 'abs/sentinel/.wh..wh..opq' },
    { path: 'up/sentinel/.wh..wh..opq' },
  ]);
  freeze();
  await renderLayers([l], root);
  assertOutsideUntouched();
  assert.is(readFileSync(join(base, 'victim'), 'utf8'), 'still here');
});

test('device nodes are skipped with a warning, setuid and owners are kept', async () => {
  const l = layer([
    { path: 'dev/', type: 'dir' },
    { path: 'dev/sda', type: 'block' },
    { path: 'dev/mem', type: 'char' },
    { path: 'bin/', type: 'dir' },
    { path: 'bin/su', content: '#!', mode: 0o4755 },
    { path: 'home/', type: 'dir' },
    { path: 'home/user/', type: 'dir', uid: 1000, gid: 1000, mode: 0o700 },
    { path: 'home/user/fifo', type: 'fifo', uid: 1000, gid: 1000, mode: 0o640 },
  ]);
  const result = await renderLayers([l], root);
  assert.is(result.warnings.length, 2);
  assert.match(result.warnings[0] ?? '', /dev\/sda/);
  assert.not.ok(existsSync(join(root, 'dev', 'sda')));
  assert.is(lstatSync(join(root, 'bin', 'su')).mode & 0o7777, 0o4755);
  const home = lstatSync(join(root, 'home', 'user'));
  assert.is(home.uid, 1000);
  assert.is(home.mode & 0o7777, 0o700);
  const fifo = lstatSync(join(root, 'home', 'user', 'fifo'));
  assert.ok(fifo.isFIFO());
  assert.is(fifo.uid, 1000);
  assert.is(fifo.mode & 0o7777, 0o640);
});

test.run();
