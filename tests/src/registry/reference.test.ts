import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { apiHost, parseDockerReference } from '@podstage/images/registry';

const HEX = 'a'.repeat(64);

const cases: [string, { registry: string; repository: string; tag?: string; digest?: string; name: string }][] = [
  ['busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', name: 'docker.io/library/busybox:latest' }],
  ['docker://busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', name: 'docker.io/library/busybox:latest' }],
  ['docker://busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36', name: 'docker.io/library/busybox:1.36' }],
  ['user/repo', { registry: 'docker.io', repository: 'user/repo', tag: 'latest', name: 'docker.io/user/repo:latest' }],
  ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', name: 'docker.io/library/busybox:latest' }],
  ['index.docker.io/user/repo:v1', { registry: 'docker.io', repository: 'user/repo', tag: 'v1', name: 'docker.io/user/repo:v1' }],
  ['quay.io/coreos/etcd:v3.5.0', { registry: 'quay.io', repository: 'coreos/etcd', tag: 'v3.5.0', name: 'quay.io/coreos/etcd:v3.5.0' }],
  ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest', name: 'localhost/app:latest' }],
  ['localhost:5000/a/b/c', { registry: 'localhost:5000', repository: 'a/b/c', tag: 'latest', name: 'localhost:5000/a/b/c:latest' }],
  [`127.0.0.1:5000/repo@sha256:${HEX}`, { registry: '127.0.0.1:5000', repository: 'repo', digest: `sha256:${HEX}`, name: `127.0.0.1:5000/repo@sha256:${HEX}` }],
  [`registry.example.com/team/app:v2@sha256:${HEX}`, { registry: 'registry.example.com', repository: 'team/app', tag: 'v2', digest: `sha256:${HEX}`, name: `registry.example.com/team/app@sha256:${HEX}` }],
  ['my_org/my-app__x.y', { registry: 'docker.io', repository: 'my_org/my-app__x.y', tag: 'latest', name: 'docker.io/my_org/my-app__x.y:latest' }],
  ['[::1]:5000/repo:t', { registry: '[::1]:5000', repository: 'repo', tag: 't', name: '[::1]:5000/repo:t' }],
];

for (const [input, expected] of cases) {
  test(`parses \`${input}\``, () => {
    assert.equal(parseDockerReference(input), expected);
  });
}

const invalid: [string, RegExp][] = [
  ['', /expected a repository name/],
  ['docker://', /expected a repository name/],
  ['Busybox', /`Busybox` must be lower-case/],
  ['quay.io/Team/app', /`Team` must be lower-case/],
  ['busybox:-bad', /tag `-bad` must match/],
  [`busybox:${'x'.repeat(129)}`, /tag `x+` must match/],
  ['busybox@sha256:abc', /digest `sha256:abc` is not `sha256:` followed by 64/],
  [`busybox@md5:${HEX}`, /digest `md5:a+` is not/],
  ['quay.io//app', /empty path components/],
  ['bad_host.io:99999x/app', /registry `bad_host.io:99999x` is not a valid host/],
];

for (const [input, message] of invalid) {
  test(`refuses \`${input}\``, () => {
    try {
      parseDockerReference(input);
      assert.unreachable('should have thrown');
    } catch (err) {
      const e = err as Error & { code?: string };
      assert.is(e.code, 'ERR_PODSTAGE_USAGE');
      assert.match(e.message, message);
      assert.match(e.message, /image reference `/);
    }
  });
}

test('Docker Hub is reached at registry-1.docker.io', () => {
  assert.is(apiHost('docker.io'), 'registry-1.docker.io');
  assert.is(apiHost('quay.io'), 'quay.io');
});

test.run();
