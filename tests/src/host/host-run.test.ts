/** stage1-host (systemd-nspawn) end to end: real pods as root. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, lines, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { status, waitForState } from '../helpers/pods.js';
import { waitFor } from '../helpers/wait.js';

let sb: Sandbox;
const run = (args: string[]) => sb.run(['run', '--stage1-name=host', ...args]);

test.before(async () => {
  if (!existsSync('/usr/bin/systemd-nspawn')) throw new Error('systemd-nspawn is missing: apt-get install systemd-container (scripts/setup.sh does)');
  sb = await sandbox();
});
test.after(() => sb.cleanup());

function startPod(args: string[]) {
  const uuidFile = join(sb.dir, `uuid-${Date.now()}-${Math.random()}`);
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=host', `--uuid-file-save=${uuidFile}`, ...args], { reject: false, stdin: 'ignore' });
  const uuid = waitFor('the pod uuid file', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  return { child, uuid };
}

const podDir = (uuid: string) => join(sb.dir, 'pods', 'run', uuid);
const cgroupFile = (ctrl: string, uuid: string, app: string, file: string) => join('/sys/fs/cgroup', ctrl, 'podstage', uuid, 'apps', app, file);

test("exit codes and output pass through; the app's status is recorded", async () => {
  const r = await run([DEFAULT_IMAGE, '--name=job', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.is(r.exitCode, 3, String(r.stderr));
  assert.is(r.stdout, 'out');
  assert.is(r.stderr, 'err');
});

test("the pod has its own pid, mount, uts, ipc and cgroup namespaces; --net=host shares the host's network", async () => {
  const r = await run(['--net=host', DEFAULT_IMAGE, '--', 'sh', '-c', 'for n in pid mnt uts ipc cgroup net; do readlink /proc/self/ns/$n; done; echo $$; hostname']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const [pid, mnt, uts, ipc, cgroup, net, selfPid, hostname] = lines(r.stdout);
  for (const [name, value] of Object.entries({ pid, mnt, uts, ipc, cgroup })) assert.is.not(value, readlinkSync(`/proc/self/ns/${name}`), name);
  assert.is(net, readlinkSync('/proc/self/ns/net'));
  assert.ok(Number(selfPid) < 100, `a small pid inside the pod's pid namespace, got ${selfPid}`);
  assert.match(hostname!, /^podstage-[0-9a-f-]{36}$/);
});

test('--net=none: a private network namespace with only loopback, up', async () => {
  const r = await run(['--net=none', DEFAULT_IMAGE, '--', 'sh', '-c', 'readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up']);
  const [net, ...rest] = lines(r.stdout).map((l) => l.trim());
  assert.is.not(net, readlinkSync('/proc/self/ns/net'));
  assert.equal(rest, ['lo', 'lo-up']);
});

test('logs: CRI format per app, with F for full lines and P for a partial one', async () => {
  const uuidFile = join(sb.dir, 'log-uuid');
  const r = await run([`--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--name=logger', '--', 'sh', '-c', 'echo first; echo oops >&2; printf "no newline"']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const uuid = readFileSync(uuidFile, 'utf8').trim();
  const log = lines(readFileSync(join(podDir(uuid), 'apps', 'logger', 'log'), 'utf8'));
  // RFC 3339 with nanoseconds in UTC, as conmon writes it.
  const RFC3339NANO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|\\+00:00)';
  assert.is(log.length, 3);
  assert.ok(log.some((l) => new RegExp(`^${RFC3339NANO} stdout F first$`).test(l)), log.join('\n'));
  assert.ok(log.some((l) => new RegExp(`^${RFC3339NANO} stderr F oops$`).test(l)), log.join('\n'));
  assert.ok(log.some((l) => new RegExp(`^${RFC3339NANO} stdout P no newline$`).test(l)), log.join('\n'));
  assert.is(readFileSync(join(podDir(uuid), 'apps', 'logger', 'exit'), 'utf8').trim(), '0');
});

test('--stdout/--stderr: log keeps output off the terminal, null discards it', async () => {
  const uuidFile = join(sb.dir, 'modes-uuid');
  const logged = await run([`--uuid-file-save=${uuidFile}`, '--stdout=log', DEFAULT_IMAGE, '--name=quiet', '--', 'sh', '-c', 'echo to-log; echo to-term >&2']);
  assert.is(logged.stdout, '');
  assert.is(logged.stderr, 'to-term');
  const log = readFileSync(join(podDir(readFileSync(uuidFile, 'utf8').trim()), 'apps', 'quiet', 'log'), 'utf8');
  assert.match(log, / stdout F to-log\n/);
  assert.match(log, / stderr F to-term\n/);
  const dropped = await run([`--uuid-file-save=${uuidFile}`, '--stdout=null', '--stderr=null', DEFAULT_IMAGE, '--name=silent', '--', 'sh', '-c', 'echo gone; echo gone >&2']);
  assert.is(dropped.exitCode, 0);
  assert.is(`${dropped.stdout}${dropped.stderr}`, '');
  assert.not.ok(existsSync(join(podDir(readFileSync(uuidFile, 'utf8').trim()), 'apps', 'silent', 'log')));
  const bad = await run(['--stdout=loud', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(bad.stderr), '--stdout: expected stream, log or null, got "loud"');
});

test('two apps share the network and IPC namespaces but not their files', async () => {
  const r = await run(['--net=none',
    DEFAULT_IMAGE, '--name=server', '--', 'sh', '-c', 'readlink /proc/self/ns/ipc; touch /dev/mqueue/server-queue; echo secret > /only-server; echo hello | nc -l -p 7070', '---',
    DEFAULT_IMAGE, '--name=client', '--', 'sh', '-c', 'sleep 1; readlink /proc/self/ns/ipc; nc 127.0.0.1 7070 </dev/null; test -e /only-server && echo sees-server-files || echo private-files; test -e /dev/mqueue/server-queue && echo sees-server-queue']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const out = lines(r.stdout);
  assert.ok(out.includes('hello'), `client got the server's greeting over loopback: ${out.join('|')}`);
  assert.ok(out.includes('private-files'));
  const ipc = out.filter((l) => l.startsWith('ipc:'));
  assert.is(ipc.length, 2, out.join('|'));
  assert.is(ipc[0], ipc[1], 'one IPC namespace for both apps');
  assert.is.not(ipc[0], readlinkSync('/proc/self/ns/ipc'), "not the host's");
  assert.ok(out.includes('sees-server-queue'), `a POSIX message queue the server made is visible to the client: ${out.join('|')}`);
});

/** cgroup v1's cpu.shares before one is written. */
const DEFAULT_SHARES = '1024';

test('memory and cpu limits land in the app cgroup; exceeding memory gets the app OOM-killed', async () => {
  const { child, uuid: pending } = startPod([DEFAULT_IMAGE, '--name=limited', '--memory=32Mi', '--cpu=500m', '--', 'sleep', '30']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  // The cgroups appear (mkdir) a moment before their limits are written, cpu.shares last: wait for it.
  const shares = cgroupFile('cpu', uuid, 'limited', 'cpu.shares');
  await waitFor('the app cgroup limits', () => (existsSync(shares) && readFileSync(shares, 'utf8').trim() !== DEFAULT_SHARES ? true : undefined));
  const limit = readFileSync(cgroupFile('memory', uuid, 'limited', 'memory.limit_in_bytes'), 'utf8').trim();
  assert.is(limit, String(32 * 1024 * 1024));
  assert.is(readFileSync(cgroupFile('cpu', uuid, 'limited', 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
  assert.is(readFileSync(cgroupFile('cpu', uuid, 'limited', 'cpu.shares'), 'utf8').trim(), '512');
  await sb.run(['stop', '--force', uuid]);
  await child;
  const oom = await run([DEFAULT_IMAGE, '--memory=32Mi', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=96M', 'count=1']);
  assert.is(oom.exitCode, 137, `OOM kill is SIGKILL: ${String(oom.stderr)}`);
  const fits = await run([DEFAULT_IMAGE, '--memory=64Mi', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=8M', 'count=1']);
  assert.is(fits.exitCode, 0, String(fits.stderr));
});

test('capabilities: default bounding set, remove-set and retain-set (beyond nspawn\'s own set)', async () => {
  const capBnd = async (args: string[]) => {
    const r = await run([DEFAULT_IMAGE, ...args, '--', 'grep', 'CapBnd', '/proc/self/status']);
    assert.is(r.exitCode, 0, String(r.stderr));
    return BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(String(r.stdout))?.[1]}`);
  };
  assert.is(await capBnd([]), 0xa80425fbn);
  assert.is((await capBnd(['--caps-remove=CAP_NET_RAW'])) & (1n << 13n), 0n);
  assert.is(await capBnd(['--caps-retain=CAP_NET_ADMIN,CAP_KILL']), (1n << 12n) | (1n << 5n));
});

test('user, no-new-privileges, read-only rootfs, read-only host volume', async () => {
  const shared = mkdtempSync(join(tmpdir(), 'podstage-vol-'));
  mkdirSync(join(shared, 'pods'));
  writeFileSync(join(shared, 'given'), 'from the host\n');
  chmodSync(shared, 0o777);
  chmodSync(join(shared, 'given'), 0o666);
  try {
    const r = await run([DEFAULT_IMAGE, `--volume=${shared}:/host:ro`, '--user=podstage', '--no-new-privileges', '--readonly-rootfs', '--', 'sh', '-c',
      'id -u; grep NoNewPrivs /proc/self/status; touch /x 2>&1; ls /host/pods >/dev/null && echo volume-ok; { echo changed >/host/given; } 2>&1; touch /host/new 2>&1; true']);
    const out = lines(r.stdout);
    assert.is(out[0], '1000');
    assert.is(out[1]?.replace(/\s+/g, ' '), 'NoNewPrivs: 1');
    assert.match(out[2] ?? '', 'Read-only file system');
    assert.is(out[3], 'volume-ok');
    // The directory and the file are world-writable: only the read-only mount can refuse these writes.
    assert.match(out[4] ?? '', 'Read-only file system');
    assert.match(out[5] ?? '', 'Read-only file system');
    assert.is(readFileSync(join(shared, 'given'), 'utf8'), 'from the host\n');
    assert.equal(readdirSync(shared).sort(), ['given', 'pods']);
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});

test('seccomp: default profile on, remove-set errno, off with --insecure-options=seccomp', async () => {
  // unshare(2) with no flags needs no capability: only the filter refuses it, with the profile's EPERM.
  const dflt = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; unshare true']);
  assert.is(String(dflt.stdout).replace(/\s+/g, ' '), 'Seccomp: 2');
  assert.is(dflt.exitCode, 1);
  assert.match(String(dflt.stderr), 'unshare(0x0): Operation not permitted');
  const removed = await run([DEFAULT_IMAGE, '--user=podstage', '--seccomp=mode=remove,errno=EACCES,mkdir,mkdirat', '--', 'mkdir', '/tmp/x']);
  assert.is(removed.exitCode, 1);
  assert.match(String(removed.stderr), 'Permission denied');
  const retained = await run([DEFAULT_IMAGE, '--seccomp=mode=retain,@podstage/default-allowlist', '--', 'true']);
  assert.is(retained.exitCode, 0, String(retained.stderr));
  const off = await run(['--insecure-options=seccomp', DEFAULT_IMAGE, '--', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; unshare true && echo unshare-allowed']);
  assert.equal(lines(off.stdout).map((l) => l.replace(/\s+/g, ' ')), ['Seccomp: 0', 'unshare-allowed'], String(off.stderr));
});

test('stop: graceful, then SIGKILL after the timeout for an app ignoring SIGTERM', async () => {
  const { child, uuid: pending } = startPod([DEFAULT_IMAGE, '--name=stubborn', '--', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  const log = join(podDir(uuid), 'apps', 'stubborn', 'log');
  await waitFor('the app to ignore SIGTERM', () => (existsSync(log) && readFileSync(log, 'utf8').includes('ready') ? true : undefined));
  const t0 = Date.now();
  const stop = await sb.run(['stop', uuid]);
  assert.is(stop.exitCode, 0, String(stop.stderr));
  const done = await child;
  assert.ok(Date.now() - t0 >= 9_000, 'waited the grace period');
  assert.is(done.exitCode, 137, 'the app was SIGKILLed');
  assert.is((await status(sb, uuid)).state, 'exited');
});

test('gc leaves no cgroup, mount or process of the pods behind', async () => {
  const uuids = readdirSync(join(sb.dir, 'pods', 'run'));
  assert.ok(uuids.length > 0);
  const gc = await sb.run(['gc']);
  assert.is(gc.exitCode, 0, String(gc.stderr));
  for (const uuid of uuids) {
    for (const ctrl of ['memory', 'cpu', 'cpuacct', 'pids', 'systemd']) assert.not.ok(existsSync(join('/sys/fs/cgroup', ctrl, 'podstage', uuid)), `${ctrl} cgroup of ${uuid}`);
  }
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(sb.dir), 'no mount under the data dir');
  const ps = await execa('ps', ['-eo', 'args=']);
  assert.not.ok(ps.stdout.includes(sb.dir), 'no process of these pods');
});

test.run();
