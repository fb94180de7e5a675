/**
 * Real filters in real processes: a Node child installs a profile and execs
 * busybox under it, as a stage1 does with an app.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { installSeccompFilter, type SeccompIsolators } from '@podstage/seccomp';

const PACKAGE = import.meta.resolve('@podstage/seccomp'); // a file: URL, wherever the repository is
const BUSYBOX = '/bin/busybox';
const work = mkdtempSync(join(tmpdir(), 'podstage-seccomp-'));

const EXEC_UNDER_PROFILE = `
import { buildProfile, compileProfile, installSeccompFilter } from ${JSON.stringify(PACKAGE)};
const [isolators, argv] = JSON.parse(process.argv[2]);
installSeccompFilter(compileProfile(buildProfile(isolators, { disabled: false })));
process.execve(argv[0], argv, { PATH: '/bin:/usr/bin' });
`;
const INSTALL_ONLY = `
import { installSeccompFilter } from ${JSON.stringify(PACKAGE)};
try {
  installSeccompFilter(Buffer.from(process.argv[2], 'hex'));
  console.log(JSON.stringify({ ok: true }));
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message, errno: err.errno }));
}
`;

function script(name: string, source: string): string {
  const path = join(work, name);
  writeFileSync(path, source);
  return path;
}

function underProfile(isolators: SeccompIsolators, argv: string[]) {
  const r = spawnSync(process.execPath, [script('exec.mjs', EXEC_UNDER_PROFILE), JSON.stringify([isolators, argv])], { encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

test('remove-set: busybox mkdir gets the chosen errno and makes nothing', () => {
  const dir = join(work, 'made-by-mkdir');
  const r = underProfile({ seccompRemove: { set: ['mkdir', 'mkdirat'], errno: 'EACCES' } }, [BUSYBOX, 'mkdir', dir]);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, 'Permission denied');
  assert.not.ok(existsSync(dir), `${dir} was created`);
});

test('default profile: the process is filtered, ordinary calls work, unshare does not', () => {
  const status = underProfile({}, [BUSYBOX, 'grep', '^Seccomp', '/proc/self/status']);
  assert.is(status.status, 0, status.stderr);
  assert.match(status.stdout, /^Seccomp:\s+2$/m);
  assert.match(status.stdout, /^Seccomp_filters:\s+1$/m);

  const echo = underProfile({}, [BUSYBOX, 'echo', 'still works']);
  assert.is(echo.status, 0, echo.stderr);
  assert.is(echo.stdout, 'still works\n');

  const unshare = underProfile({}, [BUSYBOX, 'unshare', '-m', 'true']);
  assert.is.not(unshare.status, 0);
  assert.match(unshare.stderr, 'Operation not permitted');

  const mount = underProfile({}, [BUSYBOX, 'mount', '-t', 'tmpfs', 'none', work]);
  assert.is.not(mount.status, 0);
  assert.match(mount.stderr, 'permission denied'); // busybox's words for EPERM from mount(2)
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${work} `), `${work} got mounted`);
});

test('retain-set: what busybox needs runs, anything else is refused', () => {
  // A static busybox's startup and output (found with strace), nothing more.
  const set = ['write', 'writev', 'arch_prctl', 'set_tid_address', 'brk', 'mmap', 'munmap', 'mprotect', 'set_robust_list', 'rseq',
    'prlimit64', 'readlink', 'getrandom', 'getuid', 'geteuid', 'getpid', 'rt_sigaction', 'rt_sigprocmask', 'close', 'ioctl'];
  const echo = underProfile({ seccompRetain: { set } }, [BUSYBOX, 'echo', 'retained']);
  assert.is(echo.status, 0, echo.stderr);
  assert.is(echo.stdout, 'retained\n');

  const dir = join(work, 'not-retained');
  const mkdir = underProfile({ seccompRetain: { set } }, [BUSYBOX, 'mkdir', dir]);
  assert.is.not(mkdir.status, 0);
  assert.match(mkdir.stderr, 'Operation not permitted');
  assert.not.ok(existsSync(dir));
});

test('a program the kernel refuses: ERR_PODSTAGE_SYSCALL naming seccomp and the errno', () => {
  const bogus = Buffer.from('ffff000000000000', 'hex'); // one instruction, unknown opcode
  const r = spawnSync(process.execPath, [script('install.mjs', INSTALL_ONLY), bogus.toString('hex')], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const outcome = JSON.parse(r.stdout) as { code?: string; message?: string; errno?: number };
  assert.is(outcome.code, 'ERR_PODSTAGE_SYSCALL');
  assert.is(outcome.message, 'seccomp(SECCOMP_SET_MODE_FILTER) `1-instruction filter`: EINVAL');
});

test('a buffer that is no sock_filter array is refused before the kernel sees it', () => {
  assert.throws(() => installSeccompFilter(Buffer.alloc(0)), /expected 1 to 4096 sock_filter structs \(8 bytes each\), got 0 bytes/);
  assert.throws(() => installSeccompFilter(Buffer.alloc(12)), /got 12 bytes/);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test.run();
