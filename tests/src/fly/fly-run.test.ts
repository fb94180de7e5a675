/** stage1-fly end to end: real pods through the real `podstage` binary, as root. */
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, lines, sandbox, type Sandbox } from '../helpers/podstage.js';

let sb: Sandbox;
const run = (args: string[]) => sb.run(['run', '--stage1-name=fly', ...args]);

test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

test("the pod's exit code is podstage run's exit code", async () => {
  const r = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 7']);
  assert.is(r.exitCode, 7);
  const ok = await run([DEFAULT_IMAGE, '--', 'true']);
  assert.is(ok.exitCode, 0);
});

test('stdout and stderr of the app reach the caller', async () => {
  const r = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'echo out; echo err >&2']);
  assert.is(r.stdout, 'out');
  assert.is(r.stderr, 'err');
});

test('environment: image PATH, --set-env at pod and app level, AC_APP_NAME', async () => {
  const r = await run(['--set-env=POD=1', DEFAULT_IMAGE, '--name=envcheck', '--set-env=APP=two words', '--', 'sh', '-c', 'echo "$PATH|$POD|$APP|$AC_APP_NAME|$HOME"']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|1|two words|envcheck|/root');
});

test('user and group by name and by id, supplementary groups', async () => {
  const byName = await run([DEFAULT_IMAGE, '--user=podstage', '--group=users', '--', 'sh', '-c', 'id -u; id -g; echo $HOME']);
  assert.equal(lines(byName.stdout), ['1000', '100', '/home/podstage']);
  const byId = await run([DEFAULT_IMAGE, '--user=4242', '--group=4343', '--supplementary-gids=7,8', '--', 'sh', '-c', 'id -u; id -g; id -G']);
  assert.equal(lines(byId.stdout), ['4242', '4343', '4343 7 8']);
  const missing = await run([DEFAULT_IMAGE, '--user=nosuchuser', '--', 'true']);
  assert.is(missing.exitCode, 254);
  assert.match(String(missing.stderr), 'no user "nosuchuser" in the image\'s /etc/passwd');
});

test('working directory', async () => {
  const r = await run([DEFAULT_IMAGE, '--working-dir=/tmp', '--', 'pwd']);
  assert.is(r.stdout, '/tmp');
  const bad = await run([DEFAULT_IMAGE, '--working-dir=/nonexistent', '--', 'pwd']);
  assert.is(bad.exitCode, 254);
  assert.match(String(bad.stderr), 'workingDirectory: "/nonexistent" does not exist');
});

test('host volumes: read-write and read-only, shorthand and rkt syntax', async () => {
  const host = mkdtempSync(join(tmpdir(), 'podstage-vol-'));
  try {
    writeFileSync(join(host, 'in.txt'), 'from host\n');
    const rw = await run([`--volume=data,kind=host,source=${host}`, DEFAULT_IMAGE, '--mount=volume=data,target=/data', '--', 'sh', '-c', 'cat /data/in.txt; echo from pod > /data/out.txt']);
    assert.is(rw.exitCode, 0, String(rw.stderr));
    assert.is(rw.stdout, 'from host');
    assert.is(readFileSync(join(host, 'out.txt'), 'utf8'), 'from pod\n');
    const ro = await run([DEFAULT_IMAGE, `--volume=${host}:/data:ro`, '--', 'sh', '-c', 'cat /data/in.txt && echo x > /data/denied.txt']);
    assert.is(ro.stdout, 'from host');
    assert.is.not(ro.exitCode, 0);
    assert.match(String(ro.stderr), 'Read-only file system');
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
});

test('empty volumes get their mode and owner', async () => {
  const r = await run(['--volume=scratch,kind=empty,mode=0750,uid=1000,gid=100', DEFAULT_IMAGE, '--mount=volume=scratch,target=/scratch', '--', 'stat', '-c', '%a %u %g', '/scratch']);
  assert.is(r.stdout, '750 1000 100');
});

test('writes go to the pod, never to the image: each pod starts from the pristine image', async () => {
  const first = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'echo dirty > /etc/marker && cat /etc/marker']);
  assert.is(first.stdout, 'dirty');
  const second = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'test ! -e /etc/marker && echo clean']);
  assert.is(second.stdout, 'clean');
});

test('read-only rootfs', async () => {
  const r = await run([DEFAULT_IMAGE, '--readonly-rootfs', '--', 'sh', '-c', 'touch /x']);
  assert.is.not(r.exitCode, 0);
  assert.match(String(r.stderr), 'Read-only file system');
  const tmp = await run([DEFAULT_IMAGE, '--readonly-rootfs', '--', 'sh', '-c', 'touch /tmp/x && echo ok']);
  assert.is(tmp.stdout, 'ok');
});

test('fly isolation: own mount namespace and root, host pid/net namespaces', async () => {
  const r = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'for n in mnt net pid; do readlink /proc/self/ns/$n; done; ls /']);
  const [mnt, net, pid] = lines(r.stdout);
  assert.is.not(mnt, readlinkSync('/proc/self/ns/mnt'));
  assert.is(net, readlinkSync('/proc/self/ns/net'));
  assert.is(pid, readlinkSync('/proc/self/ns/pid'));
  assert.ok(!lines(r.stdout).includes('work'), 'the host filesystem is not visible');
});

test('capabilities: default set, remove-set, retain-set, and --insecure-options=capabilities', async () => {
  const capBnd = async (args: string[]) => {
    const r = await run([...args]);
    assert.is(r.exitCode, 0, String(r.stderr));
    return BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(String(r.stdout))?.[1]}`);
  };
  const grep = ['--', 'grep', 'CapBnd', '/proc/self/status'];
  const dflt = await capBnd([DEFAULT_IMAGE, ...grep]);
  assert.is(dflt, 0xa80425fbn, 'the default set: rkt/docker defaults');
  const removed = await capBnd([DEFAULT_IMAGE, '--caps-remove=CAP_NET_RAW', ...grep]);
  assert.is(removed & (1n << 13n), 0n);
  assert.is(removed | (1n << 13n), dflt);
  const retained = await capBnd([DEFAULT_IMAGE, '--caps-retain=CAP_KILL,CAP_SYS_ADMIN', ...grep]);
  assert.is(retained, (1n << 5n) | (1n << 21n));
  const all = await capBnd(['--insecure-options=capabilities', DEFAULT_IMAGE, ...grep]);
  assert.ok((all & (1n << 21n)) !== 0n, 'CAP_SYS_ADMIN with insecure capabilities');
});

test('no-new-privileges and oom-score-adj', async () => {
  const r = await run([DEFAULT_IMAGE, '--no-new-privileges', '--oom-score-adj=500', '--', 'sh', '-c', 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj']);
  assert.equal(lines(r.stdout).map((l) => l.replace(/\s+/g, ' ')), ['NoNewPrivs: 1', '500']);
  const plain = await run([DEFAULT_IMAGE, '--', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.is(String(plain.stdout).replace(/\s+/g, ' '), 'NoNewPrivs: 0');
});

test('fly refuses what it cannot enforce, before writing a pod', async () => {
  const before = await sb.run(['list', '--format=json']);
  const mem = await run([DEFAULT_IMAGE, '--memory=64Mi', '--', 'true']);
  assert.is(mem.exitCode, 254);
  assert.match(String(mem.stderr), 'stage1 fly: cannot enforce resource/memory');
  const two = await run([DEFAULT_IMAGE, '--', 'true', '---', DEFAULT_IMAGE, '--name=second', '--', 'true']);
  assert.match(String(two.stderr), 'runs exactly one app per pod, this pod has 2');
  const net = await run(['--net=none', DEFAULT_IMAGE, '--', 'true']);
  assert.match(String(net.stderr), "--net=none: fly shares the host's network namespace");
  const paths = await run([DEFAULT_IMAGE, '--annotation=podstage.io/masked-paths=["/bin/ls"]', '--', 'true']);
  assert.is(paths.exitCode, 254);
  assert.match(String(paths.stderr), 'annotation podstage.io/masked-paths: stage1 fly (ABI 1) does not apply an app\'s own masked and read-only paths (ABI 7)');
  const after = await sb.run(['list', '--format=json']);
  assert.is(after.stdout, before.stdout, 'no pod was created');
});

test('seccomp: the default profile is on, a remove-set denies with its errno, --insecure-options=seccomp turns it off', async () => {
  // unshare(2) with no flags needs no capability: only the filter refuses it, with the profile's EPERM.
  const dflt = await run([DEFAULT_IMAGE, '--', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; unshare true']);
  assert.is(String(dflt.stdout).replace(/\s+/g, ' '), 'Seccomp: 2');
  assert.is(dflt.exitCode, 1);
  assert.match(String(dflt.stderr), 'unshare(0x0): Operation not permitted');
  const removed = await run([DEFAULT_IMAGE, '--user=podstage', '--seccomp=mode=remove,errno=EACCES,mkdir,mkdirat', '--', 'mkdir', '/tmp/x']);
  assert.is(removed.exitCode, 1);
  assert.match(String(removed.stderr), 'Permission denied');
  const off = await run(['--insecure-options=seccomp', DEFAULT_IMAGE, '--', 'sh', '-c', 'grep "^Seccomp:" /proc/self/status; unshare true && echo unshare-allowed']);
  assert.equal(lines(off.stdout).map((l) => l.replace(/\s+/g, ' ')), ['Seccomp: 0', 'unshare-allowed'], String(off.stderr));
});

test('a missing executable is a clear error', async () => {
  const r = await run([DEFAULT_IMAGE, '--', 'no-such-binary']);
  assert.is(r.exitCode, 254);
  assert.match(String(r.stderr), '"no-such-binary" not found in the app\'s PATH');
});

test.run();
