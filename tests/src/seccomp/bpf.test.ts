import { constants } from 'node:os';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import {
  AUDIT_ARCH_X86_64, BPF_JMP_JA, buildProfile, compileProfile, decodeInstructions, errnoAction, MAX_KNOWN_SYSCALL_X86_64, profileInstructions,
  SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, SYSCALLS_X86_64, X32_SYSCALL_BIT, type SeccompProfile,
} from '@podstage/seccomp';
import { runSeccompProgram } from './bpf-interpreter.js';

const { EPERM, EACCES, ENOSYS } = constants.errno;
const AUDIT_ARCH_I386 = 0x40000003;
const ALL_NUMBERS = Object.values(SYSCALLS_X86_64);
const nameOf = new Map(Object.entries(SYSCALLS_X86_64).map(([name, nr]) => [nr, name]));

function action(program: Buffer, nr: number, arch = AUDIT_ARCH_X86_64): number {
  return runSeccompProgram(program, { nr, arch }).action;
}

/** What the profile means for one syscall number, straight from the model. */
function expected(p: SeccompProfile, nr: number): number {
  const name = nameOf.get(nr);
  if (name === undefined) return p.defaultAction === 'allow' ? SECCOMP_RET_ALLOW : errnoAction(nr > MAX_KNOWN_SYSCALL_X86_64 ? ENOSYS : p.errno);
  const listed = p.syscalls.includes(name);
  return (p.defaultAction === 'errno') === listed ? SECCOMP_RET_ALLOW : errnoAction(p.errno);
}

function assertMatchesModel(p: SeccompProfile) {
  const program = compileProfile(p);
  for (let nr = 0; nr <= MAX_KNOWN_SYSCALL_X86_64 + 20; nr++) {
    assert.is(action(program, nr), expected(p, nr), `nr ${nr} (${nameOf.get(nr) ?? 'no syscall'})`);
  }
}

test('sock_filter encoding: u16 code, u8 jt, u8 jf, u32 k, little endian', () => {
  const p = buildProfile({}, { disabled: false }) as SeccompProfile;
  const buf = compileProfile(p);
  assert.is(buf.subarray(0, 16).toString('hex'), '2000000004000000' + '150001003e0000c0');
  assert.equal(decodeInstructions(buf), profileInstructions(p));
  assert.is(errnoAction(EACCES), 0x0005000d);
});

test('the default profile allows exactly the allowlist, with a short search', () => {
  const p = buildProfile({}, { disabled: false }) as SeccompProfile;
  assertMatchesModel(p);
  const program = compileProfile(p);
  assert.is(action(program, SYSCALLS_X86_64.read as number), SECCOMP_RET_ALLOW);
  assert.is(action(program, SYSCALLS_X86_64.mount as number), errnoAction(EPERM));
  const steps = ALL_NUMBERS.map((nr) => runSeccompProgram(program, { nr, arch: AUDIT_ARCH_X86_64 }).steps);
  assert.ok(Math.max(...steps) <= 25, `a lookup took ${Math.max(...steps)} instructions`);
});

test('other architectures are killed, x32 and newer calls refused', () => {
  const program = compileProfile(buildProfile({ seccompRemove: { set: ['mkdir'], errno: 'EACCES' } }, { disabled: false }) as SeccompProfile);
  assert.is(action(program, 3, AUDIT_ARCH_I386), SECCOMP_RET_KILL_PROCESS);
  assert.is(action(program, 0, 0), SECCOMP_RET_KILL_PROCESS);
  assert.is(action(program, X32_SYSCALL_BIT | 0), errnoAction(EACCES));
  assert.is(action(program, X32_SYSCALL_BIT | 545), errnoAction(EACCES));
  assert.is(action(program, -1), errnoAction(EACCES));
  assert.is(action(program, MAX_KNOWN_SYSCALL_X86_64 + 1), errnoAction(ENOSYS));
  assert.is(action(program, 100000), errnoAction(ENOSYS));
});

test('allow-by-default profiles deny the listed calls and allow newer ones', () => {
  const p: SeccompProfile = { defaultAction: 'allow', errno: EACCES, syscalls: ['mkdir', 'mkdirat', 'read', 'write', 'open'] };
  assertMatchesModel(p);
  const program = compileProfile(p);
  assert.is(action(program, MAX_KNOWN_SYSCALL_X86_64 + 1), SECCOMP_RET_ALLOW);
  assert.is(action(program, X32_SYSCALL_BIT | 83), errnoAction(EACCES));
});

test('empty and single-call lists', () => {
  assertMatchesModel({ defaultAction: 'errno', errno: EPERM, syscalls: [] });
  assertMatchesModel({ defaultAction: 'errno', errno: EPERM, syscalls: ['read'] });
  assertMatchesModel({ defaultAction: 'errno', errno: EPERM, syscalls: ['read', 'write', 'open', 'close'] });
  assertMatchesModel({ defaultAction: 'allow', errno: EPERM, syscalls: [] });
});

test('long lists jump past 255 instructions through BPF_JA', () => {
  // Every other syscall: no ranges merge, so the left subtrees grow past 8-bit jumps.
  const p: SeccompProfile = { defaultAction: 'errno', errno: EPERM, syscalls: Object.keys(SYSCALLS_X86_64).filter((s) => (SYSCALLS_X86_64[s] as number) % 2 === 0) };
  const instructions = profileInstructions(p);
  assert.ok(instructions.some((i) => i.code === BPF_JMP_JA), 'no long jump was needed');
  assert.ok(instructions.length > 256);
  assertMatchesModel(p);
});

test('unknown names in a hand-made profile are refused', () => {
  assert.throws(() => compileProfile({ defaultAction: 'errno', errno: EPERM, syscalls: ['mkdirr'] }), /"mkdirr" is not an x86_64 syscall name/);
});

test.run();
