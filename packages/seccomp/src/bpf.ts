/**
 * A SeccompProfile compiled to a classic BPF program for x86_64, the form
 * seccomp(SECCOMP_SET_MODE_FILTER) takes: an array of struct sock_filter
 * { u16 code; u8 jt; u8 jf; u32 k; }, little endian, run against
 * struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }.
 *
 * Shape: check the arch, refuse x32, then a binary search over the listed
 * syscalls merged into ranges of consecutive numbers.
 */
import { constants as osConstants } from 'node:os';
import { PodstageError } from '@podstage/contract';
import type { SeccompProfile } from './profile.js';
import { MAX_KNOWN_SYSCALL_X86_64, syscallNumberX86_64 } from './syscalls-x86_64.js';

export const BPF_LD_W_ABS = 0x20;
export const BPF_JMP_JA = 0x05;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_RET_K = 0x06;

export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/** The kernel's BPF_MAXINSNS. */
export const MAX_INSTRUCTIONS = 4096;
const SOCK_FILTER_SIZE = 8;
const MAX_SHORT_JUMP = 255;

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const stmt = (code: number, k: number): Instruction => ({ code, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf: number): Instruction => ({ code, jt, jf, k });
const ret = (action: number): Instruction => stmt(BPF_RET_K, action);

export function errnoAction(errno: number): number {
  return (SECCOMP_RET_ERRNO | (errno & SECCOMP_RET_DATA)) >>> 0;
}

/** The profile as instructions (for tests and debugging); compileProfile encodes them. */
export function profileInstructions(profile: SeccompProfile): Instruction[] {
  const deny = ret(errnoAction(profile.errno));
  const listed = profile.defaultAction === 'errno' ? SECCOMP_RET_ALLOW : errnoAction(profile.errno);
  const unlisted = profile.defaultAction === 'errno' ? errnoAction(profile.errno) : SECCOMP_RET_ALLOW;
  const program: Instruction[] = [
    stmt(BPF_LD_W_ABS, SECCOMP_DATA_ARCH),
    jump(BPF_JMP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    ret(SECCOMP_RET_KILL_PROCESS),
    stmt(BPF_LD_W_ABS, SECCOMP_DATA_NR),
    // x32 calls are x86_64 numbers with this bit set: they would slip past the list.
    jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, 1),
    deny,
  ];
  if (profile.defaultAction === 'errno') {
    // Calls newer than our table get ENOSYS, so libc falls back to an older call
    // (e.g. glibc's fchmodat2 → fchmodat) instead of failing with EPERM. runc does the same.
    program.push(jump(BPF_JMP_JGT_K, MAX_KNOWN_SYSCALL_X86_64, 0, 1), ret(errnoAction(osConstants.errno.ENOSYS)));
  }
  program.push(...searchTree(toRanges(syscallNumbers(profile.syscalls)), listed, unlisted));
  if (program.length > MAX_INSTRUCTIONS) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `seccomp program: ${program.length} instructions, the kernel takes at most ${MAX_INSTRUCTIONS}`);
  }
  return program;
}

/** The profile as a sock_filter array, ready for installSeccompFilter. */
export function compileProfile(profile: SeccompProfile): Buffer {
  return encodeInstructions(profileInstructions(profile));
}

export function encodeInstructions(program: readonly Instruction[]): Buffer {
  const buf = Buffer.alloc(program.length * SOCK_FILTER_SIZE);
  program.forEach((ins, i) => {
    const at = i * SOCK_FILTER_SIZE;
    buf.writeUInt16LE(ins.code, at);
    buf.writeUInt8(ins.jt, at + 2);
    buf.writeUInt8(ins.jf, at + 3);
    buf.writeUInt32LE(ins.k >>> 0, at + 4);
  });
  return buf;
}

export function decodeInstructions(buf: Buffer): Instruction[] {
  if (buf.length % SOCK_FILTER_SIZE !== 0) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `seccomp program: ${buf.length} bytes is not a whole number of ${SOCK_FILTER_SIZE}-byte sock_filter structs`);
  }
  const out: Instruction[] = [];
  for (let at = 0; at < buf.length; at += SOCK_FILTER_SIZE) {
    out.push({ code: buf.readUInt16LE(at), jt: buf.readUInt8(at + 2), jf: buf.readUInt8(at + 3), k: buf.readUInt32LE(at + 4) });
  }
  return out;
}

function syscallNumbers(names: readonly string[]): number[] {
  const numbers = names.map((name) => {
    const nr = syscallNumberX86_64(name);
    if (nr === undefined) throw new PodstageError('ERR_PODSTAGE_STAGE1', `seccomp profile: ${JSON.stringify(name)} is not an x86_64 syscall name`);
    return nr;
  });
  return [...new Set(numbers)].sort((a, b) => a - b);
}

interface Range {
  first: number;
  last: number;
}

function toRanges(sortedNumbers: readonly number[]): Range[] {
  const ranges: Range[] = [];
  for (const nr of sortedNumbers) {
    const prev = ranges[ranges.length - 1];
    if (prev !== undefined && prev.last + 1 === nr) prev.last = nr;
    else ranges.push({ first: nr, last: nr });
  }
  return ranges;
}

/**
 * Code that returns `listed` when the accumulator (nr) is in one of `ranges`,
 * else `unlisted`. Every path ends in its own ret, so subtrees are
 * self-contained and only the jump over a left subtree can be long: past 255
 * instructions it goes through a BPF_JA, whose offset is 32 bits.
 */
function searchTree(ranges: readonly Range[], listed: number, unlisted: number): Instruction[] {
  if (ranges.length === 0) return [ret(unlisted)];
  if (ranges.length === 1) {
    const { first, last } = ranges[0] as Range;
    if (first === last) return [jump(BPF_JMP_JEQ_K, first, 0, 1), ret(listed), ret(unlisted)];
    return [jump(BPF_JMP_JGT_K, last, 2, 0), jump(BPF_JMP_JGE_K, first, 0, 1), ret(listed), ret(unlisted)];
  }
  const mid = ranges.length >> 1;
  const pivot = (ranges[mid] as Range).first;
  const left = searchTree(ranges.slice(0, mid), listed, unlisted);
  const right = searchTree(ranges.slice(mid), listed, unlisted);
  if (left.length <= MAX_SHORT_JUMP) return [jump(BPF_JMP_JGE_K, pivot, left.length, 0), ...left, ...right];
  return [jump(BPF_JMP_JGE_K, pivot, 0, 1), stmt(BPF_JMP_JA, left.length), ...left, ...right];
}
