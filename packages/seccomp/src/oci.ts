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
 * The names are x86_64's; runc (libseccomp) resolves them per architecture
 * for the i386 and x32 ABIs listed, where our own BPF kills i386 and refuses x32.
 */
export function toOciSeccomp(profile: SeccompProfile): OciSeccomp {
  const denying = profile.defaultAction === 'errno';
  const out: OciSeccomp = {
    defaultAction: denying ? 'SCMP_ACT_ERRNO' : 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
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
