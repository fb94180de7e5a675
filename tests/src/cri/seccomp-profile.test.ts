/**
 * Localhost seccomp profiles (the JSON runc, Docker and the kubelet use) as
 * the app's seccomp isolator: what each form becomes, and what is refused.
 */
import * as assert from 'uvu/assert';
import { profileIsolator } from '@podstage/cri/seccomp-profile';
import { SYSCALLS_X86_64 } from '@podstage/seccomp';
import { test } from '../helpers/suite.js';

const at = 'seccomp';
const refused = (profile: object, message: string) => {
  try {
    profileIsolator(profile as never, at);
    assert.unreachable(`accepted ${JSON.stringify(profile)}`);
  } catch (e) {
    assert.match((e as Error).message, message);
  }
};

test('a deny-list under SCMP_ACT_ALLOW allows every other call, mount and unshare too, with its errno (critest\'s sethostname profile)', () => {
  const all = Object.keys(SYSCALLS_X86_64);
  assert.equal(profileIsolator({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname', 'setdomainname'], action: 'SCMP_ACT_ERRNO' }] }, at),
    { name: 'os/linux/seccomp-retain-set', value: { set: all.filter((n) => n !== 'sethostname' && n !== 'setdomainname'), errno: 'EPERM' } });
  const mkdir = profileIsolator({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }, at).value as { set: string[]; errno: string };
  assert.equal([mkdir.set.length, mkdir.errno], [all.length - 1, 'EACCES']);
  assert.ok(mkdir.set.includes('mount') && mkdir.set.includes('unshare') && !mkdir.set.includes('mkdir'));
  assert.equal(profileIsolator({ defaultAction: 'SCMP_ACT_ALLOW' }, at).value, { set: ['@appc.io/all'] }, 'allow everything');
});

test('an allow-list under SCMP_ACT_ERRNO is seccomp-retain; a call this host does not know stays denied', () => {
  const i = profileIsolator({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: [{ names: ['read', 'write', 'no_such_call'], action: 'SCMP_ACT_ALLOW' }, { names: ['ptrace'], action: 'SCMP_ACT_ERRNO' }] }, at);
  assert.equal(i, { name: 'os/linux/seccomp-retain-set', value: { set: ['read', 'write'], errno: 'EPERM' } });
});

test('refused: argument conditions, kill and trap actions, two errnos, an unknown call to deny, a call exec needs', () => {
  refused({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }] }, 'syscalls[0].args: argument conditions are not supported');
  refused({ defaultAction: 'SCMP_ACT_KILL' }, 'defaultAction SCMP_ACT_KILL: expected SCMP_ACT_ALLOW or SCMP_ACT_ERRNO');
  refused({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_TRAP' }] }, 'syscalls[0].action SCMP_ACT_TRAP');
  refused({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { names: ['umount2'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }, 'one errno for every denied call');
  refused({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['no_such_call'], action: 'SCMP_ACT_ERRNO' }] }, 'denies no_such_call');
  refused({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ERRNO' }] }, 'denies execve: the container could not be started');
});

test.run();
