/**
 * The few Linux calls Node does not offer, through koffi. Loaded lazily: koffi
 * costs ~15 ms, paid only by commands that lock, mount or switch identity.
 *
 * Node is multi-threaded: unshare(CLONE_NEWNS) and chroot affect only the
 * calling (main) thread. Callers do their namespace work with sync fs calls
 * and then exec, so libuv's thread pool never acts in the wrong namespace.
 */
import { createRequire } from 'node:module';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { syscallError } from '@podstage/contract';

type Fn = (...args: unknown[]) => number;
interface Libc {
  flock: Fn; fcntl: Fn; unshare: Fn; mount: Fn; umount2: Fn; chroot: Fn;
  setns: Fn; seccomp: Fn; setgroups: Fn; setresuid: Fn; setresgid: Fn; prctl: Fn; sethostname: Fn; capset: Fn;
  setsid: Fn; posix_openpt: Fn; grantpt: Fn; unlockpt: Fn; ptsname_r: Fn; ioctl: Fn; dup2: Fn;
  socket: Fn; connect: Fn; sendmsg: Fn; close_range: Fn; syscall: Fn;
  errno(): number;
}

/** seccomp(2) has no libc wrapper: syscall(SYS_seccomp, …) with struct sock_fprog. */
function seccompSyscall(koffi: typeof import('koffi'), lib: ReturnType<typeof import('koffi').load>): Fn {
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: 16 bytes with the padding.
  koffi.struct('podstage_sock_fprog', { len: 'unsigned short', filter: 'uint8_t *' });
  const syscall = lib.func('long syscall(long number, ...)') as unknown as Fn;
  return (filter: unknown, count: unknown) =>
    Number(syscall(SYS_SECCOMP_X86_64, 'unsigned int', SECCOMP_SET_MODE_FILTER, 'unsigned int', 0, 'podstage_sock_fprog *', { len: count, filter }));
}
const SYS_SECCOMP_X86_64 = 317;

/** sendmsg(2) with struct msghdr and its one iovec. */
function sendmsgCall(koffi: typeof import('koffi'), lib: ReturnType<typeof import('koffi').load>): Fn {
  koffi.struct('podstage_iovec', { base: 'void *', len: 'size_t' });
  koffi.struct('podstage_msghdr', {
    name: 'void *', namelen: 'uint32_t', iov: 'podstage_iovec *', iovlen: 'size_t', control: 'void *', controllen: 'size_t', flags: 'int',
  });
  const sendmsg = lib.func('long sendmsg(int fd, podstage_msghdr *msg, int flags)') as unknown as Fn;
  return (fd: unknown, data: unknown, control: unknown) => Number(sendmsg(fd, {
    name: null, namelen: 0, iov: { base: data, len: (data as Buffer).length }, iovlen: 1, control, controllen: (control as Buffer).length, flags: 0,
  }, 0));
}
const SECCOMP_SET_MODE_FILTER = 1;

let libc: Libc | undefined;
function load(): Libc {
  if (libc !== undefined) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  const f = (decl: string) => lib.func(decl) as unknown as Fn;
  libc = {
    flock: f('int flock(int fd, int op)'),
    fcntl: f('int fcntl(int fd, int cmd, long arg)'),
    unshare: f('int unshare(int flags)'),
    mount: f('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: f('int umount2(const char *target, int flags)'),
    chroot: f('int chroot(const char *path)'),
    setns: f('int setns(int fd, int nstype)'),
    seccomp: seccompSyscall(koffi, lib),
    setgroups: f('int setgroups(size_t size, const uint32_t *list)'),
    setresuid: f('int setresuid(uint32_t r, uint32_t e, uint32_t s)'),
    setresgid: f('int setresgid(uint32_t r, uint32_t e, uint32_t s)'),
    prctl: f('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    sethostname: f('int sethostname(const char *name, size_t len)'),
    capset: f('int capset(void *header, void *data)'),
    setsid: f('int setsid(void)'),
    posix_openpt: f('int posix_openpt(int flags)'),
    grantpt: f('int grantpt(int fd)'),
    unlockpt: f('int unlockpt(int fd)'),
    ptsname_r: f('int ptsname_r(int fd, _Out_ uint8_t *buf, size_t len)'),
    // ioctl is variadic; every request used here passes one pointer.
    ioctl: f('int ioctl(int fd, unsigned long request, void *arg)'),
    dup2: f('int dup2(int oldfd, int newfd)'),
    close_range: f('int close_range(unsigned int first, unsigned int last, int flags)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    connect: f('int connect(int fd, const void *addr, uint32_t len)'),
    sendmsg: sendmsgCall(koffi, lib),
    // Variadic: every argument comes with its C type.
    syscall: f('long syscall(long number, ...)'),
    errno: () => koffi.errno(),
  };
  return libc;
}

const errnoNames = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
export const errnoName = (n: number) => errnoNames.get(n) ?? `errno ${n}`;

function check(rc: number, op: string, object: string): number {
  if (rc < 0) {
    const e = load().errno();
    throw Object.assign(syscallError(op, object, errnoName(e)), { errno: e });
  }
  return rc;
}

export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

/** flock(2); returns false instead of throwing when LOCK_NB finds it held. */
export function flock(fd: number, op: number, what = `fd ${fd}`): boolean {
  const l = load();
  if (l.flock(fd, op) === 0) return true;
  const e = l.errno();
  if (e === osConstants.errno.EWOULDBLOCK && (op & LOCK_NB) !== 0) return false;
  throw Object.assign(syscallError('flock', what, errnoName(e)), { errno: e });
}

const F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
/** Let `fd` survive exec: Node opens every fd close-on-exec. */
export function clearCloexec(fd: number): void {
  const l = load();
  const flags = check(l.fcntl(fd, F_GETFD, 0), 'fcntl(F_GETFD)', `fd ${fd}`);
  check(l.fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC), 'fcntl(F_SETFD)', `fd ${fd}`);
}

export const CLONE_NEWNS = 0x00020000, CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWNET = 0x40000000, CLONE_NEWPID = 0x20000000, CLONE_NEWCGROUP = 0x02000000;
export function unshare(flags: number): void {
  check(load().unshare(flags), 'unshare', `0x${flags.toString(16)}`);
}

export const CLONE_FS = 0x00000200;

/** Join the namespace open at `fd`; for a mount namespace, unshare(CLONE_FS) first (Node's threads share fs). */
export function setns(fd: number, nstype: number, what: string): void {
  check(load().setns(fd, nstype), 'setns', what);
}

/** Join the mount namespace of process `pid` (this thread, after unshare(CLONE_FS)). */
export function joinMountNamespaceOf(pid: number | string): void {
  const path = `/proc/${pid}/ns/mnt`;
  const ns = openSync(path, 'r');
  try {
    unshare(CLONE_FS);
    setns(ns, CLONE_NEWNS, path);
  } finally {
    closeSync(ns);
  }
}

export const MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096;
export const MS_REC = 16384, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(load().mount(source, target, fstype, flags, data), `mount(${fstype ?? (flags & MS_BIND ? 'bind' : 'flags')})`, target);
}

const SYS_OPEN_TREE_X86_64 = 428, SYS_MOVE_MOUNT_X86_64 = 429;
const AT_FDCWD = -100, AT_RECURSIVE = 0x8000, OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 0o2000000, MOVE_MOUNT_F_EMPTY_PATH = 4;

/**
 * A detached copy of the mount tree at `path`, symlinks followed (open_tree(2) with
 * OPEN_TREE_CLONE | AT_RECURSIVE): a mount namespace entered later can attach it with
 * moveMount, where a bind mount's source would have to be in that namespace.
 */
export function openTreeClone(path: string): number {
  const l = load();
  return check(Number(l.syscall(SYS_OPEN_TREE_X86_64, 'int', AT_FDCWD, 'const char *', path, 'unsigned int', OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)), 'open_tree', path);
}

/** Attach the detached mount tree `fd` (openTreeClone) at `target` (move_mount(2)). */
export function moveMount(fd: number, target: string): void {
  const l = load();
  check(Number(l.syscall(SYS_MOVE_MOUNT_X86_64, 'int', fd, 'const char *', '', 'int', AT_FDCWD, 'const char *', target, 'unsigned int', MOVE_MOUNT_F_EMPTY_PATH)), 'move_mount', target);
}

export const MNT_DETACH = 2;
export function umount(target: string, flags = 0): void {
  check(load().umount2(target, flags), 'umount', target);
}

export function chroot(path: string): void {
  check(load().chroot(path), 'chroot', path);
}

export function setgroups(gids: number[]): void {
  check(load().setgroups(gids.length, new Uint32Array(gids)), 'setgroups', gids.join(','));
}
export function setresgid(gid: number): void {
  check(load().setresgid(gid, gid, gid), 'setresgid', String(gid));
}
export function setresuid(uid: number): void {
  check(load().setresuid(uid, uid, uid), 'setresuid', String(uid));
}

const PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_CLEAR_ALL = 4;
export function setNoNewPrivs(): void {
  check(load().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'prctl(PR_SET_NO_NEW_PRIVS)', 'self');
}
export function dropBoundingCap(cap: number, name: string): void {
  check(load().prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), 'prctl(PR_CAPBSET_DROP)', name);
}
export function clearAmbientCaps(): void {
  check(load().prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 'prctl(PR_CAP_AMBIENT_CLEAR_ALL)', 'self');
}

const PR_SET_DUMPABLE = 4;
/** Hide this process from ptrace and /proc/PID/{root,cwd,exe,fd,mem} of anyone without CAP_SYS_PTRACE. */
export function setNotDumpable(): void {
  check(load().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 'prctl(PR_SET_DUMPABLE)', 'self');
}

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
/**
 * capset(2) on the calling thread: effective = permitted = `held` (bit numbers),
 * inheritable empty. The set can only shrink; exec recomputes it from the bounding set.
 */
export function setCapabilitySets(held: readonly number[]): void {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  const mask = [0, 0];
  for (const cap of held) mask[cap >> 5] = ((mask[cap >> 5] ?? 0) | (1 << (cap & 31))) >>> 0;
  // struct __user_cap_data_struct[2] { effective, permitted, inheritable }
  const data = Buffer.alloc(24);
  for (const i of [0, 1]) {
    data.writeUInt32LE(mask[i] ?? 0, i * 12);
    data.writeUInt32LE(mask[i] ?? 0, i * 12 + 4);
  }
  check(load().capset(header, data), 'capset', held.length === 0 ? 'no capabilities' : `${held.length} capabilities`);
}

export function sethostname(name: string): void {
  check(load().sethostname(name, Buffer.byteLength(name)), 'sethostname', name);
}

export interface Pty {
  /** The controlling side, kept by whoever copies the terminal's bytes. */
  master: number;
  /** The terminal a command gets as stdin, stdout and stderr. */
  slave: number;
}

const O_RDWR = 2, O_NOCTTY = 0o400;
/** A new pseudo-terminal pair (posix_openpt), both ends close-on-exec as Node opens fds. */
export function openPty(): Pty {
  const l = load();
  const master = check(l.posix_openpt(O_RDWR | O_NOCTTY), 'posix_openpt', '/dev/ptmx');
  try {
    check(l.grantpt(master), 'grantpt', `fd ${master}`);
    check(l.unlockpt(master), 'unlockpt', `fd ${master}`);
    const name = Buffer.alloc(64);
    const rc = l.ptsname_r(master, name, name.length);
    if (rc !== 0) throw syscallError('ptsname_r', `fd ${master}`, errnoName(rc));
    const path = name.subarray(0, name.indexOf(0)).toString();
    const slave = openSync(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
    check(l.fcntl(master, F_SETFD, FD_CLOEXEC), 'fcntl(F_SETFD)', `fd ${master}`);
    return { master, slave };
  } catch (e) {
    closeSync(master);
    throw e;
  }
}

const TIOCSWINSZ = 0x5414;
/** The terminal's size (TIOCSWINSZ on either end); its foreground process group gets SIGWINCH. */
export function setWindowSize(fd: number, columns: number, rows: number): void {
  // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
  const size = Buffer.alloc(8);
  size.writeUInt16LE(Math.min(rows, 0xffff), 0);
  size.writeUInt16LE(Math.min(columns, 0xffff), 2);
  check(load().ioctl(fd, TIOCSWINSZ, size), 'ioctl(TIOCSWINSZ)', `fd ${fd}`);
}

const CLOSE_RANGE_CLOEXEC = 4;
/**
 * Every fd from `first` on closes when this process execs (runc's CloseExecFrom):
 * whatever its parents left open never reaches an app.
 */
export function closeOnExecFrom(first: number): void {
  check(load().close_range(first, 0xffffffff, CLOSE_RANGE_CLOEXEC), 'close_range(CLOSE_RANGE_CLOEXEC)', `fds from ${first}`);
}

/** dup2(2): `fd` also at `target` (which is then not close-on-exec). */
export function dup2(fd: number, target: number): void {
  check(load().dup2(fd, target), 'dup2', `fd ${fd} → ${target}`);
}

const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0o2000000, SOL_SOCKET = 1, SCM_RIGHTS = 1;

/** A new close-on-exec socket connected to the unix socket at `path` (at most 107 bytes). */
export function connectUnixSocket(path: string, type: 'stream' | 'seqpacket'): number {
  const l = load();
  if (Buffer.byteLength(path) >= 108) throw syscallError('connect', path, 'ENAMETOOLONG');
  const address = Buffer.alloc(110);
  address.writeUInt16LE(AF_UNIX, 0);
  address.write(path, 2);
  const socket = check(l.socket(AF_UNIX, (type === 'stream' ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0), 'socket', path);
  try {
    check(l.connect(socket, address, 2 + Buffer.byteLength(path) + 1), 'connect', path);
    return socket;
  } catch (e) {
    closeSync(socket);
    throw e;
  }
}
/**
 * Send `fd` over a new connection to the stream socket at `path` (SCM_RIGHTS),
 * with `name` as the message: how a terminal's master reaches an OCI
 * runtime's console socket (runc's `--console-socket`, which conmon listens on).
 */
export function sendFd(path: string, fd: number, name: string): void {
  const socket = connectUnixSocket(path, 'stream');
  try {
    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } and the fd: CMSG_SPACE(4) = 24 bytes.
    const control = Buffer.alloc(24);
    control.writeBigUInt64LE(20n, 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    check(load().sendmsg(socket, Buffer.from(name), control), 'sendmsg', path);
  } finally {
    closeSync(socket);
  }
}

const TIOCSCTTY = 0x540e;
/**
 * Make this process a session leader whose controlling terminal is the one at
 * `fd`, so the terminal's job control and SIGWINCH reach what it execs, and
 * nothing of the caller's session does.
 */
export function takeControllingTerminal(fd: number): void {
  const l = load();
  check(l.setsid(), 'setsid', 'self');
  check(l.ioctl(fd, TIOCSCTTY, null), 'ioctl(TIOCSCTTY)', `fd ${fd}`);
}

/**
 * Load the bindings now. A caller that chroots before its last calls (every
 * stage1 before exec) must: after the chroot, koffi's module is out of reach.
 */
export function preloadSyscalls(): void {
  load();
}

/** seccomp(SECCOMP_SET_MODE_FILTER) with `count` sock_filter structs; calling thread only. */
export function seccompSetModeFilter(program: Buffer, count: number): void {
  const hint = 'without no_new_privs the caller needs CAP_SYS_ADMIN: set no_new_privs before installing the filter';
  const l = load();
  if (l.seccomp(program, count) === 0) return;
  const e = l.errno();
  throw Object.assign(syscallError('seccomp(SECCOMP_SET_MODE_FILTER)', `${count}-instruction filter`, errnoName(e), e === osConstants.errno.EACCES ? hint : undefined), { errno: e });
}
