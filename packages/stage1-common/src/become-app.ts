/**
 * The last steps of every in-place app start (fly's run and every enter):
 * from a process already inside the app's root, take on the app's identity and
 * limits, then exec. Nothing after this runs Node.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { CAPABILITIES, PodstageError, type Capability } from '@podstage/contract';
import {
  clearAmbientCaps, clearCloexec, closeOnExecFrom, dropBoundingCap, execve, setCapabilitySets, setgroups, setNoNewPrivs, setresgid, setresuid,
} from '@podstage/linux';

export interface Identity {
  uid: number;
  gid: number;
  groups: number[];
}

/** Resolve argv[0] against PATH inside the current root, like execvp. */
export function resolveExecutable(cmd: string, path: string, app: string): string {
  if (cmd.includes('/')) return cmd;
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const candidate = posix.join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here, try the next PATH entry
    }
  }
  throw new PodstageError('ERR_PODSTAGE_MANIFEST', `apps[${app}].app.exec[0]: ${JSON.stringify(cmd)} not found in the app's PATH (${path})`);
}

/** The bounding set becomes `keep`; ambient is cleared. Needs CAP_SETPCAP: call before the identity switch. */
export function limitBoundingSet(keep: readonly Capability[]): void {
  const lastCap = lastSupportedCap();
  CAPABILITIES.forEach((name, n) => {
    if (n <= lastCap && !keep.includes(name)) dropBoundingCap(n, name);
  });
  clearAmbientCaps();
}

/**
 * After the identity switch: no set above the bounding set (runc's model). Root keeps `keep` as
 * effective and permitted, a non-root app nothing; inheritable is empty for both, so a setuid or
 * file-capability binary can gain at most the bounding set (moby's fix for CVE-2022-24769).
 */
export function limitCapabilitySets(keep: readonly Capability[], uid: number): void {
  const lastCap = lastSupportedCap();
  const permitted = permittedNow();
  const held = uid === 0 ? CAPABILITIES.flatMap((name, n) => (n <= lastCap && keep.includes(name) && (permitted >> BigInt(n)) & 1n ? [n] : [])) : [];
  setCapabilitySets(held);
}

/** This thread's permitted set: capset may only shrink it. */
function permittedNow(): bigint {
  const line = readFileSync('/proc/thread-self/status', 'utf8').split('\n').find((l) => l.startsWith('CapPrm:'));
  return BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`);
}

function lastSupportedCap(): number {
  try {
    return Number.parseInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10);
  } catch {
    return CAPABILITIES.length - 1;
  }
}

export interface BecomeAppOptions {
  app: string;
  exec: string[];
  env: Record<string, string>;
  cwd: string;
  identity: Identity;
  capabilities: readonly Capability[];
  noNewPrivileges: boolean;
  /** fds (besides 0-2) that must survive the exec, e.g. the pod lock. */
  keepFds?: number[];
  /** Installs the app's seccomp filter; called last, right before exec. */
  installSeccomp?: () => void;
}

export function becomeApp(o: BecomeAppOptions): never {
  try {
    process.chdir(o.cwd);
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `apps[${o.app}].app.workingDirectory: ${JSON.stringify(o.cwd)} does not exist in the app's rootfs`, { cause: err });
  }
  const file = resolveExecutable(o.exec[0] as string, o.env.PATH ?? '', o.app);
  // Before a seccomp filter can refuse close_range.
  closeOnExecFrom(3);
  limitBoundingSet(o.capabilities);
  if (o.noNewPrivileges) setNoNewPrivs();
  // Installing a filter needs no_new_privs or CAP_SYS_ADMIN: without the first,
  // install while the second is still effective, before the identity switch (runc's order).
  if (!o.noNewPrivileges) o.installSeccomp?.();
  setgroups(o.identity.groups);
  setresgid(o.identity.gid);
  setresuid(o.identity.uid);
  limitCapabilitySets(o.capabilities, o.identity.uid);
  for (const fd of o.keepFds ?? []) clearCloexec(fd);
  if (o.noNewPrivileges) o.installSeccomp?.();
  return execve(file, o.exec, o.env);
}
