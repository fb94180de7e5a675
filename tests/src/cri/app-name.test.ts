/**
 * CRI container names → app names: a Kubernetes name stays as it is; any
 * other name the CRI allows (critest's, with a UUID) fits an app name, and two
 * names never meet.
 */
import * as assert from 'uvu/assert';
import { appName, volumeName } from '@podstage/cri/app-name';
import { test } from '../helpers/suite.js';

const APP_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const of = (name: string, attempt = 0) => appName({ metadata: { name, attempt } } as never);

test('a DNS label is the app name; a restart gets its own', () => {
  assert.is(of('nginx'), 'nginx');
  assert.is(of('nginx', 2), 'nginx-attempt-2');
});

test("critest's names (a prefix and a UUID, upper case, attempt 2) become valid, distinct app names of at most 63 characters", () => {
  const names = [
    of('container-for-DNS-config-test-2f0c3a7e-5a0b-4c1e-9d55-1b0e6f7a9c21', 2),
    of('container-for-DNS-config-test-2f0c3a7e-5a0b-4c1e-9d55-1b0e6f7a9c22', 2),
    of('container-for-DNS-config-test-2f0c3a7e-5a0b-4c1e-9d55-1b0e6f7a9c21', 3),
    of('Container--Name'), of('container-name'), of('___'), of('a'.repeat(63), 1),
  ];
  for (const n of names) assert.ok(APP_NAME.test(n) && n.length <= 63, n);
  assert.is(new Set(names).size, names.length);
  assert.match(names[0] as string, /^container-for-dns-config-test-2f0c3a7e-/);
});

test('an empty name is refused with the field', () => {
  assert.throws(() => of(''), /config\.metadata\.name/);
});

test("a mount's volume name fits an app name, also for the longest app names, and differs per app and mount", () => {
  assert.is(volumeName('nginx', 0), 'cri-nginx-0');
  const long = [volumeName('a'.repeat(63), 0), volumeName('a'.repeat(63), 1), volumeName('b'.repeat(63), 0)];
  for (const n of long) assert.ok(APP_NAME.test(n) && n.length <= 63, n);
  assert.is(new Set(long).size, 3);
});

test.run();
