/**
 * Install a compiled filter on the calling thread with seccomp(2), through
 * koffi (loaded on first use). The filter is inherited across execve, which
 * is the point: a stage1 installs it last, right before exec'ing the app.
 *
 * Only the calling (main) thread is filtered, not libuv's threads; they end
 * at the exec. no_new_privs is the caller's decision: without it the kernel
 * requires CAP_SYS_ADMIN in the caller's user namespace (EACCES otherwise), so
 * an app switched to a non-root uid needs no_new_privs set first (systemd
 * implies NoNewPrivileges= for SystemCallFilter= in that case too).
 */
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { PodstageError, syscallError } from '@podstage/contract';

const SYS_SECCOMP_X86_64 = 317;
const SECCOMP_SET_MODE_FILTER = 1;
const SOCK_FILTER_SIZE = 8;
const MAX_INSTRUCTIONS = 4096;

type Syscall = (nr: number, ...typedArgs: unknown[]) => number | bigint;
interface SeccompLib {
  syscall: Syscall;
  errno(): number;
}

let lib: SeccompLib | undefined;
function load(): SeccompLib {
  if (lib !== undefined) return lib;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const libc = koffi.load('libc.so.6');
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: 16 bytes with the padding.
  koffi.struct('podstage_sock_fprog', { len: 'unsigned short', filter: 'uint8_t *' });
  lib = {
    syscall: libc.func('long syscall(long number, ...)') as unknown as Syscall,
    errno: () => koffi.errno(),
  };
  return lib;
}

const errnoNames = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/**
 * Load the binding now. Callers that chroot before installing (every stage1)
 * must call this first: after the chroot, koffi's module is out of reach.
 */
export function loadSeccompBinding(): void {
  load();
}

export function installSeccompFilter(program: Buffer): void {
  const count = program.length / SOCK_FILTER_SIZE;
  if (!Number.isInteger(count) || count === 0 || count > MAX_INSTRUCTIONS) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `seccomp program: expected 1 to ${MAX_INSTRUCTIONS} sock_filter structs (8 bytes each), got ${program.length} bytes`);
  }
  const l = load();
  const fprog = { len: count, filter: program };
  const rc = l.syscall(SYS_SECCOMP_X86_64, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', 0, 'podstage_sock_fprog *', fprog);
  if (Number(rc) === 0) return;
  const errno = l.errno();
  const name = errnoNames.get(errno) ?? `errno ${errno}`;
  const hint = errno === osConstants.errno.EACCES
    ? 'without no_new_privs the caller needs CAP_SYS_ADMIN: set no_new_privs before installing the filter'
    : undefined;
  throw Object.assign(syscallError('seccomp(SECCOMP_SET_MODE_FILTER)', `${count}-instruction filter`, name, hint), { errno });
}
