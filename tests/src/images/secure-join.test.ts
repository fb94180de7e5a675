import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { secureJoin } from '@podstage/linux';

let base = '';
let root = '';

test.before.each(() => {
  base = mkdtempSync('/tmp/podstage-securejoin-');
  root = join(base, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
});

test.after.each(() => {
  rmSync(base, { recursive: true, force: true });
});

test('plain paths are joined and cleaned lexically', () => {
  assert.is(secureJoin(root, 'etc/passwd'), join(root, 'etc/passwd'));
  assert.is(secureJoin(root, '/etc//./passwd'), join(root, 'etc/passwd'));
  assert.is(secureJoin(root, ''), root);
  assert.is(secureJoin(root, '/'), root);
});

test('.. never climbs above root', () => {
  assert.is(secureJoin(root, '../../../etc/shadow'), join(root, 'etc/shadow'));
  assert.is(secureJoin(root, 'usr/../../..'), root);
  assert.is(secureJoin(root, '/..'), root);
});

test('absolute symlinks resolve relative to root', () => {
  symlinkSync('/', join(root, 'evil'));
  symlinkSync('/etc', join(root, 'etclink'));
  assert.is(secureJoin(root, 'evil/etc/pwned'), join(root, 'etc/pwned'));
  assert.is(secureJoin(root, 'etclink/passwd'), join(root, 'etc/passwd'));
  assert.is(secureJoin(root, 'evil'), root);
});

test('relative symlinks resolve from their directory and stay inside', () => {
  symlinkSync('../../..', join(root, 'usr/lib/up'));
  symlinkSync('lib', join(root, 'usr/sibling'));
  assert.is(secureJoin(root, 'usr/lib/up/x'), join(root, 'x'));
  assert.is(secureJoin(root, 'usr/sibling/libc.so'), join(root, 'usr/lib/libc.so'));
});

test('chains of symlinks are followed inside root', () => {
  symlinkSync('b', join(root, 'a'));
  symlinkSync('/c/../../d', join(root, 'b'));
  mkdirSync(join(root, 'd'));
  assert.is(secureJoin(root, 'a/file'), join(root, 'd/file'));
});

test('followFinal=false keeps a final symlink, parents still resolve', () => {
  symlinkSync('/etc', join(root, 'etclink'));
  symlinkSync('/', join(root, 'etc/rootlink'));
  assert.is(secureJoin(root, 'etclink', { followFinal: false }), join(root, 'etclink'));
  assert.is(secureJoin(root, 'etclink/rootlink', { followFinal: false }), join(root, 'etc/rootlink'));
  assert.is(secureJoin(root, 'etclink/rootlink'), root);
});

test('symlink loops are refused', () => {
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('self/x', join(root, 'self'));
  assert.throws(() => secureJoin(root, 'loop1/x'), /symlinks/);
  assert.throws(() => secureJoin(root, 'self'), /symlinks/);
});

test('missing components and files in the way are appended lexically', () => {
  writeFileSync(join(root, 'etc/passwd'), '');
  assert.is(secureJoin(root, 'nope/a/../b'), join(root, 'nope/b'));
  assert.is(secureJoin(root, 'etc/passwd/x'), join(root, 'etc/passwd/x'));
});

test('the result is always inside root', () => {
  symlinkSync('/../../../../..', join(root, 'r1'));
  symlinkSync('../../../../../tmp', join(root, 'r2'));
  for (const path of ['r1', 'r1/x', 'r2', 'r2/../..', '../r2/x', 'usr/../../r1/..']) {
    const result = secureJoin(root, path);
    assert.ok(result === root || result.startsWith(root + '/'), `${path} → ${result}`);
  }
});

test.run();
