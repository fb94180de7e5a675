import { constants } from 'node:os';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { buildProfile, toOciSeccomp, type SeccompProfile } from '@podstage/seccomp';

/** Only x86_64: libseccomp kills the calls of other ABIs, as podstage's own filter does. */
const ARCHES = ['SCMP_ARCH_X86_64'];

test('an allowlist profile: ERRNO by default, the list allowed', () => {
  const p = buildProfile({ seccompRemove: { set: ['mkdir'], errno: 'EACCES' } }, { disabled: false }) as SeccompProfile;
  const oci = toOciSeccomp(p);
  assert.is(oci.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(oci.defaultErrnoRet, constants.errno.EACCES);
  assert.equal(oci.architectures, ARCHES);
  assert.equal(oci.syscalls, [{ names: p.syscalls, action: 'SCMP_ACT_ALLOW' }]);
  assert.not.ok(oci.syscalls[0]?.names.includes('mkdir'));
});

test('a denylist profile: ALLOW by default, the list refused with the errno', () => {
  const oci = toOciSeccomp({ defaultAction: 'allow', errno: 13, syscalls: ['mkdir', 'mkdirat'] });
  assert.equal(oci, {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ARCHES,
    syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  });
  assert.equal(toOciSeccomp({ defaultAction: 'allow', errno: 1, syscalls: [] }).syscalls, []);
});

test.run();
