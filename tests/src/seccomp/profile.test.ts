import { constants } from 'node:os';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import {
  buildProfile, DEFAULT_ALLOWLIST, DEFAULT_DENIED, EXEC_MINIMUM, SYSCALLS_X86_64, type SeccompIsolators,
} from '@podstage/seccomp';

const on = { disabled: false };
const { EPERM, EACCES } = constants.errno;

function rejects(isolators: SeccompIsolators, message: string) {
  try {
    buildProfile(isolators, on);
  } catch (err) {
    assert.is((err as Error).message, message);
    assert.is((err as { code?: string }).code, 'ERR_PODSTAGE_MANIFEST');
    return;
  }
  assert.unreachable(`built a profile that should fail with: ${message}`);
}

test('every x86_64 syscall is allowed or denied by default, exactly once', () => {
  const denied = Object.values(DEFAULT_DENIED).flat();
  const named = [...DEFAULT_ALLOWLIST, ...denied];
  assert.is(new Set(named).size, named.length, `named twice: ${named.filter((s, i) => named.indexOf(s) !== i).join(', ')}`);
  assert.equal([...named].sort(), Object.keys(SYSCALLS_X86_64).sort());
});

test('no isolator: the default allowlist, EPERM', () => {
  const p = buildProfile({}, on);
  assert.equal(p, { defaultAction: 'errno', errno: EPERM, syscalls: [...DEFAULT_ALLOWLIST].sort() });
  for (const s of ['read', 'execve', 'clone', 'clone3', 'personality', 'ptrace', 'chroot', 'mkdirat']) assert.ok(p?.syscalls.includes(s), `${s} is allowed`);
  for (const s of ['mount', 'umount2', 'unshare', 'setns', 'kexec_load', 'init_module', 'bpf', 'keyctl', 'open_by_handle_at', 'clock_settime', 'reboot']) {
    assert.not.ok(p?.syscalls.includes(s), `${s} is denied`);
  }
});

test('--insecure-options=seccomp: no profile, whatever the isolators say', () => {
  assert.is(buildProfile({}, { disabled: true }), undefined);
  assert.is(buildProfile({ seccompRetain: { set: ['nonsense'] } }, { disabled: true }), undefined);
});

test('retain-set: exactly the listed calls plus what exec and exit need', () => {
  const p = buildProfile({ seccompRetain: { set: ['read', 'write', 'read'] } }, on);
  assert.equal(p, { defaultAction: 'errno', errno: EPERM, syscalls: [...new Set(['read', 'write', ...EXEC_MINIMUM])].sort() });
  assert.is(buildProfile({ seccompRetain: { set: ['read'], errno: 'EACCES' } }, on)?.errno, EACCES);
  assert.equal(buildProfile({ seccompRetain: { set: ['@appc.io/empty'] } }, on)?.syscalls, [...EXEC_MINIMUM].sort());
});

test('retain-set groups: our default allowlist under rkt\'s and Docker\'s names; appc\'s all is no filter at all (Seccomp: 0, as runc leaves an unconfined container)', () => {
  const ours = buildProfile({ seccompRetain: { set: ['@podstage/default-allowlist'] } }, on);
  assert.equal(ours, buildProfile({}, on));
  assert.equal(buildProfile({ seccompRetain: { set: ['@rkt/default-whitelist'] } }, on), ours);
  assert.equal(buildProfile({ seccompRetain: { set: ['@docker/default-whitelist'] } }, on), ours);
  assert.is(buildProfile({ seccompRetain: { set: ['@appc.io/all'], errno: 'EACCES' } }, on), undefined);
  assert.throws(() => buildProfile({ seccompRetain: { set: ['@appc.io/all', 'nonsense'] } }, on), /nonsense/);
});

test('remove-set: the default allowlist minus the listed calls', () => {
  const p = buildProfile({ seccompRemove: { set: ['mkdir', 'mkdirat', 'mount'], errno: 'EACCES' } }, on);
  assert.equal(p, { defaultAction: 'errno', errno: EACCES, syscalls: DEFAULT_ALLOWLIST.filter((s) => s !== 'mkdir' && s !== 'mkdirat').sort() });
  assert.equal(buildProfile({ seccompRemove: { set: ['@rkt/default-blacklist'] } }, on), buildProfile({}, on));
});

test('remove-set cannot take away what exec and exit need', () => {
  rejects({ seccompRemove: { set: ['mkdir', 'execve'] } },
    'os/linux/seccomp-remove-set.set: cannot remove execve: the app could not be started or exit without them');
  rejects({ seccompRemove: { set: ['@appc.io/all'] } },
    `os/linux/seccomp-remove-set.set: cannot remove ${[...EXEC_MINIMUM].join(', ')}: the app could not be started or exit without them`);
});

test('unknown syscalls, groups and errnos name the field', () => {
  rejects({ seccompRemove: { set: ['mkdir', 'mkdirr'] } }, 'os/linux/seccomp-remove-set.set[1]: "mkdirr" is not an x86_64 syscall name');
  rejects({ seccompRetain: { set: ['constructor'] } }, 'os/linux/seccomp-retain-set.set[0]: "constructor" is not an x86_64 syscall name');
  assert.throws(() => buildProfile({ seccompRetain: { set: ['@rkt/everything'] } }, on), (err: Error) =>
    err.message.startsWith('os/linux/seccomp-retain-set.set[0]: unknown syscall group "@rkt/everything", expected one of @podstage/default-allowlist, '));
  rejects({ seccompRetain: { set: ['read'], errno: 'ENOPE' } }, 'os/linux/seccomp-retain-set.errno: "ENOPE" is not an errno name, expected one like "EPERM" or "EACCES"');
  rejects({ seccompRetain: { set: ['read'] }, seccompRemove: { set: ['mkdir'] } },
    'os/linux/seccomp-retain-set and os/linux/seccomp-remove-set: only one may be given, got both');
});

test.run();
