/** A SeccompProfile as the OCI runtime-spec's linux.seccomp, for runc-style stage1s. */
import type { SeccompProfile } from './profile.js';

export type OciSeccompAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';

export interface OciSeccompSyscall {
  names: string[];
  action: OciSeccompAction;
  errnoRet?: number;
}

export interface OciSeccomp {
  defaultAction: OciSeccompAction;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciSeccompSyscall[];
}

/**
 * x86_64's calls only, as podstage's own filter (bpf.ts) has them: libseccomp kills a call
 * of an architecture the profile does not list, so the i386 ABI (int 0x80) is killed under
 * every stage1. Listing i386 and x32 too, as Docker's profile does, would open the i386 ABI
 * to runc's apps alone, and makes libseccomp compile the list three times at every start.
 */
export function toOciSeccomp(profile: SeccompProfile): OciSeccomp {
  const denying = profile.defaultAction === 'errno';
  const out: OciSeccomp = {
    defaultAction: denying ? 'SCMP_ACT_ERRNO' : 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [],
  };
  if (denying) out.defaultErrnoRet = profile.errno;
  if (profile.syscalls.length > 0) {
    out.syscalls.push(denying
      ? { names: [...profile.syscalls], action: 'SCMP_ACT_ALLOW' }
      : { names: [...profile.syscalls], action: 'SCMP_ACT_ERRNO', errnoRet: profile.errno });
  }
  return out;
}
