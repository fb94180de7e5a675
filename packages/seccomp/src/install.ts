/**
 * Install a compiled filter on the calling thread with seccomp(2) (the
 * binding lives in @podstage/linux). The filter is inherited across execve, which
 * is the point: a stage1 installs it last, right before exec'ing the app.
 *
 * Only the calling (main) thread is filtered, not libuv's threads; they end
 * at the exec. no_new_privs is the caller's decision: without it the kernel
 * requires CAP_SYS_ADMIN in the caller's user namespace (EACCES otherwise), so
 * an app switched to a non-root uid needs no_new_privs set first (systemd
 * implies NoNewPrivileges= for SystemCallFilter= in that case too).
 */
import { PodstageError } from '@podstage/contract';
import { preloadSyscalls, seccompSetModeFilter } from '@podstage/linux';

const SOCK_FILTER_SIZE = 8;
const MAX_INSTRUCTIONS = 4096;

/**
 * Load the binding now. Callers that chroot before installing (every stage1)
 * must call this first: after the chroot, koffi's module is out of reach.
 */
export const loadSeccompBinding = preloadSyscalls;

export function installSeccompFilter(program: Buffer): void {
  const count = program.length / SOCK_FILTER_SIZE;
  if (!Number.isInteger(count) || count === 0 || count > MAX_INSTRUCTIONS) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `seccomp program: expected 1 to ${MAX_INSTRUCTIONS} sock_filter structs (8 bytes each), got ${program.length} bytes`);
  }
  seccompSetModeFilter(program, count);
}
