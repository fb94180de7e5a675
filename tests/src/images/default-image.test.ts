import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { buildDefaultImageLayout, DEFAULT_IMAGE_NAME } from '@podstage/images/default-image';
import { tempDir } from '../helpers/fs-snapshot.js';

let base = '';

test.before(() => {
  base = tempDir('default-image');
});

test.after(() => {
  rmSync(base, { recursive: true, force: true });
});

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const blob = (dir: string, digest: string) => join(dir, 'blobs', 'sha256', digest.slice(7));

interface Listed {
  path: string;
  type: string;
  mode: number;
  uid: number;
  mtime: number;
  linkpath: string | undefined;
}

test('the layout is deterministic: same busybox, same image id', async () => {
  const a = await buildDefaultImageLayout(join(base, 'a'));
  const b = await buildDefaultImageLayout(join(base, 'b'));
  assert.is(a.manifestDigest, b.manifestDigest);
  assert.ok(readFileSync(join(base, 'a', 'index.json')).equals(readFileSync(join(base, 'b', 'index.json'))));
  assert.is(DEFAULT_IMAGE_NAME, 'podstage.io/default:latest');
});

test('index, manifest and config have the documented shape', async () => {
  const dir = join(base, 'shape');
  const { manifestDigest } = await buildDefaultImageLayout(dir);
  assert.equal(json(join(dir, 'oci-layout')), { imageLayoutVersion: '1.0.0' });
  const index = json(join(dir, 'index.json')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  assert.is(index.manifests.length, 1);
  assert.is(index.manifests[0]?.digest, manifestDigest);
  assert.is(index.manifests[0]?.annotations['org.opencontainers.image.ref.name'], 'latest');
  const manifest = json(blob(dir, manifestDigest)) as { config: { digest: string }; layers: { mediaType: string }[] };
  assert.equal(manifest.layers.map((l) => l.mediaType), ['application/vnd.oci.image.layer.v1.tar+gzip']);
  const config = json(blob(dir, manifest.config.digest)) as { config: Record<string, unknown> };
  assert.equal(config.config, { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' });
});

test('the layer holds busybox, applet links, /etc files and owned directories', async () => {
  const dir = join(base, 'layer');
  const { manifestDigest } = await buildDefaultImageLayout(dir);
  const manifest = json(blob(dir, manifestDigest)) as { layers: { digest: string }[] };
  const entries: Listed[] = [];
  const contents = new Map<string, string>();
  await tar.t({
    file: blob(dir, manifest.layers[0]?.digest ?? ''),
    onReadEntry: (entry) => {
      entries.push({ path: entry.path, type: entry.type, mode: entry.mode ?? 0, uid: entry.uid ?? -1, mtime: entry.mtime?.getTime() ?? -1, linkpath: entry.linkpath });
      if (entry.path.startsWith('etc/')) {
        let text = '';
        entry.on('data', (chunk: Buffer) => (text += chunk.toString()));
        entry.on('end', () => contents.set(entry.path, text));
      }
    },
  });
  const byPath = new Map(entries.map((e) => [e.path.replace(/\/$/, ''), e]));
  const paths = entries.map((e) => e.path.replace(/\/$/, ''));
  assert.equal(paths, [...paths].sort(), 'entries are sorted');
  assert.ok(entries.every((e) => e.mtime === 0), 'fixed mtimes');
  assert.is(byPath.get('bin/busybox')?.type, 'File');
  assert.is(byPath.get('bin/sh')?.linkpath, '/bin/busybox');
  assert.ok(paths.some((p) => p.startsWith('usr/bin/')) && paths.some((p) => p.startsWith('sbin/')));
  assert.ok(paths.filter((p) => byPath.get(p)?.type === 'SymbolicLink').every((p) => /^(bin|sbin|usr\/bin|usr\/sbin)\/[^/]+$/.test(p)));
  assert.is(byPath.get('tmp')?.mode, 0o1777);
  assert.is(byPath.get('home/podstage')?.uid, 1000);
  for (const d of ['proc', 'sys', 'dev', 'root']) assert.is(byPath.get(d)?.type, 'Directory', d);
  assert.match(contents.get('etc/passwd') ?? '', /^podstage:x:1000:1000::\/home\/podstage:\/bin\/sh$/m);
  assert.match(contents.get('etc/passwd') ?? '', /^nobody:x:65534:65534:/m);
  assert.match(contents.get('etc/group') ?? '', /^users:x:100:$/m);
  assert.match(contents.get('etc/hosts') ?? '', /localhost/);
});

test('a missing or dynamic busybox names the package to install', async () => {
  for (const busybox of [join(base, 'no-busybox'), '/bin/ls']) {
    try {
      await buildDefaultImageLayout(join(base, 'fail'), { busybox });
      assert.unreachable(`accepted ${busybox}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_HOST');
      assert.ok((err as Error).message.includes(busybox));
      assert.match((err as { hint?: string }).hint ?? '', /apt-get install busybox-static/);
    }
  }
});

test.run();
