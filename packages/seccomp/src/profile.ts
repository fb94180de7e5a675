/**
 * From the appc seccomp isolators to the one profile a stage1 enforces: a
 * retain-set is an allowlist; a remove-set blocks its calls together with an
 * implementation's default denylist, as appc allows (podstage's: every call
 * outside its default allowlist; rkt blocked the set alone), so it takes calls
 * out of the default allowlist; neither means the default allowlist.
 */
import { constants as osConstants } from 'node:os';
import { ISOLATOR, PodstageError, SECCOMP_ALL_SYSCALLS, type SeccompSetValue } from '@podstage/contract';
import { DEFAULT_ALLOWLIST, EXEC_MINIMUM } from './default-allowlist.js';
import { SYSCALLS_X86_64, syscallNumberX86_64 } from './syscalls-x86_64.js';

export { DEFAULT_ALLOWLIST, DEFAULT_DENIED, EXEC_MINIMUM } from './default-allowlist.js';

export interface SeccompProfile {
  /** What a syscall not in `syscalls` gets. */
  defaultAction: 'allow' | 'errno';
  /** The errno a denied syscall returns. */
  errno: number;
  /** The listed names: allowed when defaultAction is errno, denied when allow. Sorted, unique. */
  syscalls: string[];
}

export interface SeccompIsolators {
  seccompRetain?: SeccompSetValue;
  seccompRemove?: SeccompSetValue;
}

export interface BuildProfileOptions {
  /** --insecure-options=seccomp: no filter at all. */
  disabled: boolean;
}

const ALL = SECCOMP_ALL_SYSCALLS;
const EMPTY = '@appc.io/empty';
const ALL_SYSCALLS: readonly string[] = Object.freeze(Object.keys(SYSCALLS_X86_64));
const DEFAULT_DENYLIST: readonly string[] = Object.freeze(ALL_SYSCALLS.filter((s) => !DEFAULT_ALLOWLIST.includes(s)));

/** Group names a set may use; rkt's and Docker's names are aliases of ours. */
export const SYSCALL_GROUPS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '@podstage/default-allowlist': DEFAULT_ALLOWLIST,
  '@rkt/default-whitelist': DEFAULT_ALLOWLIST,
  '@docker/default-whitelist': DEFAULT_ALLOWLIST,
  '@podstage/default-denylist': DEFAULT_DENYLIST,
  '@rkt/default-blacklist': DEFAULT_DENYLIST,
  '@docker/default-blacklist': DEFAULT_DENYLIST,
  [ALL]: ALL_SYSCALLS,
  [EMPTY]: [],
});

export const DEFAULT_ERRNO = osConstants.errno.EPERM;

/**
 * The app's filter; undefined for none: with --insecure-options=seccomp, and for a retain set of
 * every call (the CRI's Unconfined and privileged), which no filter says best, also for calls newer
 * than our table, and which /proc shows as `Seccomp: 0`, as runc and containerd leave it.
 */
export function buildProfile(isolators: SeccompIsolators, options: BuildProfileOptions): SeccompProfile | undefined {
  if (options.disabled) return undefined;
  const { seccompRetain: retain, seccompRemove: remove } = isolators;
  if (retain !== undefined && remove !== undefined) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${ISOLATOR.seccompRetain} and ${ISOLATOR.seccompRemove}: only one may be given, got both`);
  }
  if (retain?.set.includes(ALL) === true) {
    errnoNumber(retain.errno, `${ISOLATOR.seccompRetain}.errno`);
    expandSyscallSet(retain.set, `${ISOLATOR.seccompRetain}.set`);
    return undefined;
  }
  if (retain !== undefined) return retainProfile(retain);
  if (remove !== undefined) return removeProfile(remove);
  return { defaultAction: 'errno', errno: DEFAULT_ERRNO, syscalls: sorted(DEFAULT_ALLOWLIST) };
}

function retainProfile(value: SeccompSetValue): SeccompProfile {
  const errno = errnoNumber(value.errno, `${ISOLATOR.seccompRetain}.errno`);
  const retained = expandSyscallSet(value.set, `${ISOLATOR.seccompRetain}.set`);
  return { defaultAction: 'errno', errno, syscalls: sorted([...retained, ...EXEC_MINIMUM]) };
}

function removeProfile(value: SeccompSetValue): SeccompProfile {
  const field = `${ISOLATOR.seccompRemove}.set`;
  const errno = errnoNumber(value.errno, `${ISOLATOR.seccompRemove}.errno`);
  const removed = new Set(expandSyscallSet(value.set, field));
  const needed = EXEC_MINIMUM.filter((s) => removed.has(s));
  if (needed.length > 0) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${field}: cannot remove ${needed.join(', ')}: the app could not be started or exit without them`, {
      hint: `every profile allows ${EXEC_MINIMUM.join(', ')}`,
    });
  }
  return { defaultAction: 'errno', errno, syscalls: sorted(DEFAULT_ALLOWLIST.filter((s) => !removed.has(s))) };
}

/** Syscall names and groups to the syscall names they stand for (x86_64). */
export function expandSyscallSet(set: readonly string[], field: string): string[] {
  const out = new Set<string>();
  set.forEach((entry, i) => {
    const group = Object.hasOwn(SYSCALL_GROUPS, entry) ? SYSCALL_GROUPS[entry] : undefined;
    if (group !== undefined) {
      group.forEach((s) => out.add(s));
    } else if (syscallNumberX86_64(entry) !== undefined) {
      out.add(entry);
    } else if (entry.startsWith('@')) {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${field}[${i}]: unknown syscall group ${JSON.stringify(entry)}, expected one of ${Object.keys(SYSCALL_GROUPS).join(', ')}`);
    } else {
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${field}[${i}]: ${JSON.stringify(entry)} is not an x86_64 syscall name`);
    }
  });
  return [...out];
}

/** An errno name ("EACCES") to its number on this host; EPERM when not given. */
export function errnoNumber(name: string | undefined, field: string): number {
  if (name === undefined) return DEFAULT_ERRNO;
  const errnos: Readonly<Record<string, number>> = osConstants.errno;
  const n = Object.hasOwn(errnos, name) ? errnos[name] : undefined;
  if (n === undefined) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${field}: ${JSON.stringify(name)} is not an errno name, expected one like "EPERM" or "EACCES"`);
  }
  return n;
}

function sorted(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
