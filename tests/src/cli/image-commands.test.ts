/** image export / extract / render / rm / gc through the CLI. */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { snapshot, tempDir } from '../helpers/fs-snapshot.js';
import { writeTinyLayout } from '../helpers/oci-layout.js';
import { DEFAULT_IMAGE, DEFAULT_IMAGE_LAYOUT, lines, sandbox, type Sandbox } from '../helpers/podstage.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

const imageIds = async (s: Sandbox) => (JSON.parse(String((await s.run(['image', 'list', '--format=json'])).stdout)) as { id: string; names: string[] }[]);

test('fetch refuses a --name or reference with `..` path components, in one line, before storing anything', async () => {
  const before = await imageIds(sb);
  const cases: [string[], string][] = [
    [['fetch', '--name=a/../../b', `oci:${DEFAULT_IMAGE_LAYOUT}`], '--name `a/../../b`: repository component `..`'],
    [['fetch', '--name=../b', `oci:${DEFAULT_IMAGE_LAYOUT}`], '--name `../b`: repository component `..`'],
    [['fetch', 'docker-archive:/nonexistent.tar:a/../../b'], 'reference `a/../../b`: repository component `..`'],
    [['fetch', 'docker://127.0.0.1:9/a/../../b'], 'image reference `docker://127.0.0.1:9/a/../../b`: repository component `..`'],
  ];
  for (const [args, message] of cases) {
    const r = await sb.run(args);
    assert.is(r.exitCode, 2, args.join(' '));
    assert.match(String(r.stderr), message);
    assert.is(lines(r.stderr).length, 1, String(r.stderr));
  }
  assert.equal(await imageIds(sb), before);
});

test('concurrent fetches of one image with --name (same and different names) keep every name', async () => {
  const other = await sandbox({ withImage: false });
  try {
    const expected: string[] = [];
    for (let round = 1; round <= 3; round += 1) {
      const names = ['a', 'b', 'c'].map((n) => `example.test/${n}:${round}`);
      expected.push(...names);
      const fetches = [...names, ...names.slice(0, 2)].map((name) => other.run(['fetch', `--name=${name}`, `oci:${DEFAULT_IMAGE_LAYOUT}`]));
      for (const r of await Promise.all(fetches)) assert.is(r.exitCode, 0, String(r.stderr));
      const images = await imageIds(other);
      assert.is(images.length, 1);
      assert.equal([...(images[0]?.names ?? [])].sort(), [...expected].sort(), `round ${round}`);
    }
  } finally {
    await other.cleanup();
  }
});

test('export writes an oci-archive that imports again with the same id and name', async () => {
  const file = join(sb.dir, 'default.tar');
  const r = await sb.run(['image', 'export', DEFAULT_IMAGE, file]);
  assert.is(r.exitCode, 0, String(r.stderr));
  const again = await sb.run(['image', 'export', DEFAULT_IMAGE, file]);
  assert.is(again.exitCode, 2);
  assert.match(String(again.stderr), 'exists; pass --overwrite');
  const other = await sandbox({ withImage: false });
  try {
    const imported = await other.run(['fetch', `oci-archive:${file}`]);
    assert.is(imported.exitCode, 0, String(imported.stderr));
    const [src] = await imageIds(sb);
    const [dst] = await imageIds(other);
    assert.is(dst!.id, src!.id);
    assert.equal(dst!.names, [DEFAULT_IMAGE]);
  } finally {
    await other.cleanup();
  }
});

test('extract and render write the rootfs and the image metadata', async () => {
  const dir = join(sb.dir, 'extract');
  const r = await sb.run(['image', 'extract', DEFAULT_IMAGE, dir]);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.equal(readdirSync(dir).sort(), ['config.json', 'manifest.json', 'rootfs']);
  assert.ok(existsSync(join(dir, 'rootfs', 'bin', 'busybox')));
  assert.match(readFileSync(join(dir, 'rootfs', 'etc', 'passwd'), 'utf8'), 'podstage:x:1000:1000');
  const only = join(sb.dir, 'render');
  assert.is((await sb.run(['image', 'render', '--rootfs-only', DEFAULT_IMAGE, only])).exitCode, 0);
  assert.ok(existsSync(join(only, 'bin', 'sh')));
  const busy = await sb.run(['image', 'render', '--rootfs-only', DEFAULT_IMAGE, only]);
  assert.is(busy.exitCode, 2);
  assert.match(String(busy.stderr), 'is not empty; pass --overwrite');
});

test('extract --overwrite never follows symlinks an earlier extract of an untrusted image planted in DIR', async () => {
  const elsewhere = tempDir('extract-elsewhere');
  try {
    writeFileSync(join(elsewhere, 'keep'), 'keep\n');
    const planting = writeTinyLayout(join(sb.dir, 'planting-layout'), [
      [
        { path: 'rootfs', type: 'symlink', linkname: elsewhere },
        { path: 'manifest.json', type: 'symlink', linkname: join(elsewhere, 'keep') },
        { path: 'etc', type: 'symlink', linkname: elsewhere },
      ],
    ]);
    assert.is((await sb.run(['fetch', '--name=example.test/planting', `oci:${planting.dir}`])).exitCode, 0);
    const untouched = snapshot(elsewhere);
    const dir = join(sb.dir, 'planted');
    const extract = async (...args: string[]) => {
      const r = await sb.run(['image', 'extract', ...args]);
      assert.is(r.exitCode, 0, String(r.stderr));
    };

    await extract('--rootfs-only', 'example.test/planting', dir);
    assert.ok(lstatSync(join(dir, 'rootfs')).isSymbolicLink(), 'the untrusted image planted DIR/rootfs -> elsewhere');
    await extract('--overwrite', DEFAULT_IMAGE, dir);
    assert.equal(snapshot(elsewhere), untouched, 'nothing landed in the other directory');
    assert.equal(readdirSync(dir).sort(), ['config.json', 'manifest.json', 'rootfs']);
    assert.ok(lstatSync(join(dir, 'rootfs')).isDirectory() && lstatSync(join(dir, 'manifest.json')).isFile());
    assert.ok(existsSync(join(dir, 'rootfs', 'bin', 'busybox')));

    await extract('--rootfs-only', '--overwrite', 'example.test/planting', dir);
    await extract('--rootfs-only', '--overwrite', DEFAULT_IMAGE, dir);
    assert.equal(snapshot(elsewhere), untouched);
    assert.ok(lstatSync(join(dir, 'etc')).isDirectory());
    assert.match(readFileSync(join(dir, 'etc', 'passwd'), 'utf8'), 'podstage:x:1000:1000');

    const linkDir = join(sb.dir, 'link-dir');
    symlinkSync(elsewhere, linkDir);
    const refused = await sb.run(['image', 'extract', '--overwrite', DEFAULT_IMAGE, linkDir]);
    assert.is(refused.exitCode, 2);
    assert.match(String(refused.stderr), `${linkDir} is a symbolic link, expected a directory`);
    assert.equal(snapshot(elsewhere), untouched);
  } finally {
    await sb.run(['image', 'rm', 'example.test/planting']);
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('image rm refuses an image a pod uses; image gc keeps recent images and reclaims the rest', async () => {
  const uuid = String((await sb.run(['prepare', DEFAULT_IMAGE, '--', 'true'])).stdout);
  const refused = await sb.run(['image', 'rm', DEFAULT_IMAGE]);
  assert.is(refused.exitCode, 1);
  assert.match(String(refused.stderr), 'is used by a pod');
  const kept = await sb.run(['image', 'gc', '--grace-period=1h']);
  assert.equal(lines(kept.stdout), []);
  const inUse = await sb.run(['image', 'gc', '--grace-period=0s']);
  assert.equal(lines(inUse.stdout), [], 'an image a prepared pod uses is kept');
  await sb.run(['rm', uuid]);
  const gc = await sb.run(['image', 'gc', '--grace-period=0s']);
  assert.is(gc.exitCode, 0, String(gc.stderr));
  assert.match(String(gc.stdout), /^removed sha256:[0-9a-f]{64} podstage.io\/default:latest$/m);
  assert.equal(await imageIds(sb), []);
  const blobs = join(sb.dir, 'images', 'blobs', 'sha256');
  assert.equal(existsSync(blobs) ? readdirSync(blobs) : [], [], 'blobs reclaimed');
  const trees = join(sb.dir, 'images', 'trees');
  assert.equal(existsSync(trees) ? readdirSync(trees) : [], [], 'rendered trees reclaimed');
});

test.run();
