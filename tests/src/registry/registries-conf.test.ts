import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { parseDockerReference } from '@podstage/images/registry';
import { parseRegistriesConf, RegistriesConf } from '@podstage/images/registry';
import { tempDir } from '../helpers/fs-snapshot.js';

let dir = '';
test.before(() => {
  dir = tempDir('registries-conf');
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

function confFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

const ref = (s: string) => parseDockerReference(s);

test('without configuration, the reference is its own endpoint (Docker Hub at registry-1.docker.io)', () => {
  const conf = new RegistriesConf();
  assert.equal(conf.endpointsFor(ref('busybox')), [{ host: 'registry-1.docker.io', repository: 'library/busybox', insecure: false, mirror: false }]);
  assert.equal(conf.endpointsFor(ref('quay.io/a/b')), [{ host: 'quay.io', repository: 'a/b', insecure: false, mirror: false }]);
});

test('mirrors come first in file order, then the original location', () => {
  const conf = RegistriesConf.load([
    confFile(
      'mirrors.conf',
      `
unqualified-search-registries = ["docker.io"]

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "mirror-a.local:5000"

[[registry.mirror]]
location = "mirror-b.local/hub"
insecure = true
`,
    ),
  ]);
  assert.equal(conf.endpointsFor(ref('busybox:1')), [
    { host: 'mirror-a.local:5000', repository: 'library/busybox', insecure: false, mirror: true },
    { host: 'mirror-b.local', repository: 'hub/library/busybox', insecure: true, mirror: true },
    { host: 'registry-1.docker.io', repository: 'library/busybox', insecure: false, mirror: false },
  ]);
});

test('the longest matching prefix wins and `location` rewrites the prefix', () => {
  const conf = RegistriesConf.load([
    confFile(
      'prefix.conf',
      `
[[registry]]
prefix = "example.com"
location = "wrong.example.net"

[[registry]]
prefix = "example.com/foo"
location = "internal.example.net:8443/bar"
insecure = true

[[registry.mirror]]
location = "mirror.example.net/mirror-for-foo"
`,
    ),
  ]);
  assert.equal(conf.endpointsFor(ref('example.com/foo/app:v1')), [
    { host: 'mirror.example.net', repository: 'mirror-for-foo/app', insecure: false, mirror: true },
    { host: 'internal.example.net:8443', repository: 'bar/app', insecure: true, mirror: false },
  ]);
  // `example.com/foobar` is not under the `example.com/foo` prefix: component boundaries count.
  assert.equal(conf.endpointsFor(ref('example.com/foobar/app')), [{ host: 'wrong.example.net', repository: 'foobar/app', insecure: false, mirror: false }]);
});

test('mirror-by-digest-only mirrors are used only for digest references', () => {
  const conf = new RegistriesConf(
    parseRegistriesConf(
      `
[[registry]]
prefix = "quay.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "mirror.local"
`,
      'inline.conf',
    ),
  );
  assert.is(conf.endpointsFor(ref('quay.io/a/b:v1')).length, 1);
  assert.is(conf.endpointsFor(ref(`quay.io/a/b@sha256:${'0'.repeat(64)}`))[0]?.host, 'mirror.local');
});

test('blocked prefixes are refused, naming the file', () => {
  const file = confFile('blocked.conf', '[[registry]]\nprefix = "evil.example.com"\nblocked = true\n');
  const conf = RegistriesConf.load([file]);
  const err = failure(() => conf.endpointsFor(ref('evil.example.com/x')));
  assert.is(err.code, 'ERR_PODSTAGE_REGISTRY');
  assert.match(err.message, 'docker://evil.example.com/x:latest');
  assert.match(err.message, file);
});

test('later files override entries with the same prefix; missing files are skipped', () => {
  const first = confFile('first.conf', '[[registry]]\nprefix = "quay.io"\nlocation = "one.local"\n[[registry]]\nprefix = "ghcr.io"\ninsecure = true\n');
  const second = confFile('second.conf', '[[registry]]\nprefix = "quay.io"\nlocation = "two.local"\n');
  const conf = RegistriesConf.load([first, join(dir, 'does-not-exist.conf'), second]);
  assert.is(conf.endpointsFor(ref('quay.io/a'))[0]?.host, 'two.local');
  assert.is(conf.endpointsFor(ref('ghcr.io/a'))[0]?.insecure, true);
});

test('malformed TOML is refused naming the file', () => {
  const file = confFile('broken.conf', '[[registry]\nprefix = "x"\n');
  const err = failure(() => RegistriesConf.load([file]));
  assert.is(err.code, 'ERR_PODSTAGE_USAGE');
  assert.match(err.message, file);
  assert.match(err.message, 'not valid TOML');
});

test('wrong field types are refused naming the file and the field', () => {
  const cases: [string, string][] = [
    ['[[registry]]\nprefix = "quay.io"\ninsecure = "yes"\n', '`registry[0].insecure` must be a boolean'],
    ['[[registry]]\nprefix = 5\n', '`registry[0].prefix` must be a string'],
    ['[[registry]]\nprefix = "quay.io"\n[[registry.mirror]]\ninsecure = true\n', '`registry[0].mirror[0].location` is required'],
    ['registry = "quay.io"\n', '`registry` must be an array of tables'],
    ['[[registry]]\nprefix = "quay.io"\nlocation = "https://quay.io"\n', '`registry[0].location` is `https://quay.io`, expected `host[:port][/path]`'],
    ['[registries.search]\nregistries = ["docker.io"]\n', '`registries` belongs to the version 1 format'],
  ];
  for (const [i, [text, message]] of cases.entries()) {
    const file = confFile(`bad-${i}.conf`, text);
    const err = failure(() => RegistriesConf.load([file]));
    assert.is(err.code, 'ERR_PODSTAGE_USAGE', text);
    assert.match(err.message, file);
    assert.match(err.message, message);
  }
});

test.run();
