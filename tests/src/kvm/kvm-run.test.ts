/** stage1-kvm: real VMs (TCG on this host, so few boots). */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, lines, PODSTAGE, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';
import { appStatus, status, waitForAppExit, waitForState } from '../helpers/pods.js';
import { buildSetuidProgram, capSets } from '../helpers/setuid-program.js';
import { waitFor } from '../helpers/wait.js';

let sb: Sandbox;
const run = (args: string[]) => sb.run(['run', '--stage1-name=kvm', ...args]);
const GUEST = join(REPO, 'build', 'guest');

async function runInBackground(args: string[]) {
  const uuidFile = join(sb.dir, `uuid-${Date.now()}`);
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=kvm', `--uuid-file-save=${uuidFile}`, ...args], { reject: false, stdin: 'ignore' });
  const uuid = await waitFor('uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  return { child, uuid };
}

/** QEMU's exit status, as the sandbox's conmon recorded it: 0 when the guest halted, 137 when it was killed. */
const sandboxExit = (uuid: string) => readFileSync(join(sb.dir, 'pods', 'run', uuid, 'stage1', 'exits', `podstage-${uuid}-sandbox`), 'utf8').trim();
const appLog = (uuid: string, app: string) => join(sb.dir, 'pods', 'run', uuid, 'apps', app, 'log');
/** What an app wrote to stdout, from its CRI log. */
const appStdout = (uuid: string, app: string) => lines(readFileSync(appLog(uuid, app), 'utf8')).filter((l) => / stdout [FP] /.test(l)).map((l) => l.replace(/^\S+ stdout [FP] /, ''));
const waitForLog = (uuid: string, app: string, text: string) =>
  waitFor(`${app} to log ${text}`, () => (existsSync(appLog(uuid, app)) && readFileSync(appLog(uuid, app), 'utf8').includes(text) ? true : undefined), 120_000);

test.before(async () => {
  if (!existsSync('/usr/bin/qemu-system-x86_64')) throw new Error('qemu-system-x86_64 is missing: apt-get install qemu-system-x86 (scripts/setup.sh does)');
  if (!existsSync(join(GUEST, 'vmlinux'))) throw new Error(`${GUEST}/vmlinux is missing: scripts/setup.sh builds the guest kernel`);
  sb = await sandbox();
});
test.after(() => sb.cleanup());

test("the pod runs under its own kernel: uname -r is the guest's, not the host's", async () => {
  const r = await run([DEFAULT_IMAGE, '--', 'uname', '-r']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, readFileSync(join(GUEST, 'release'), 'utf8').trim());
  assert.is.not(r.stdout, (await execa('uname', ['-r'])).stdout);
});

test('exit codes, environment, user, group and working directory round-trip', async () => {
  const uuidFile = join(sb.dir, 'uuid');
  const r = await run([`--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--name=job', '--user=podstage', '--working-dir=/tmp', '--set-env=GREETING=it is me', '--', 'sh', '-c', 'echo "$GREETING|$(id -u):$(id -g)|$(pwd)"; exit 3']);
  assert.is(r.exitCode, 3, String(r.stderr));
  assert.is(r.stdout, 'it is me|1000:1000|/tmp');
  const s = await status(sb, readFileSync(uuidFile, 'utf8').trim());
  assert.equal(s.apps.map((a) => [a.name, a.exitCode]), [['job', 3]]);
  assert.is(sandboxExit(s.uuid), '0', 'the guest halted once its app had exited');
  // The accelerator is probed, and said: this host's /dev/kvm is PVM, so TCG here (HOST-NOTES).
  const table = String((await sb.run(['status', s.uuid])).stdout);
  assert.match(table, /^stage1-accelerator=(tcg|kvm)$/m);
  assert.match(table, /^stage1-guest-boot-ms=[1-9][0-9]*$/m);
  assert.match(table, new RegExp(`^stage1-kernel=${join(GUEST, 'vmlinux')}$`, 'm'));
  if (existsSync('/sys/module/kvm_pvm')) assert.match(table, /^stage1-accelerator-reason=.*PVM/m);
});

test('1 MiB of app output arrives intact in the CRI log; stdout and stderr stay apart', async () => {
  const uuidFile = join(sb.dir, 'uuid-log');
  const r = await run([`--uuid-file-save=${uuidFile}`, '--stdout=log', DEFAULT_IMAGE, '--name=loud', '--', 'sh', '-c', "dd if=/dev/zero bs=1024 count=1024 2>/dev/null | tr '\\0' x | fold -w 128; echo done >&2"]);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, '');
  assert.match(String(r.stderr), 'done');
  const records = lines(readFileSync(join(sb.dir, 'pods', 'run', readFileSync(uuidFile, 'utf8').trim(), 'apps', 'loud', 'log'), 'utf8'));
  assert.ok(records.every((l) => /^\S+ (stdout|stderr) [PF] /.test(l)), 'every record is CRI-formatted');
  // conmon cuts a line where its read ends (P records): the lines are what the P and F records join into.
  const out = records.filter((l) => l.includes(' stdout ')).map((l) => /^\S+ stdout ([PF]) (.*)$/.exec(l)!).reduce<{ done: string[]; open: string }>(
    (acc, [, tag, text]) => (tag === 'F' ? { done: [...acc.done, acc.open + (text as string)], open: '' } : { done: acc.done, open: acc.open + (text as string) }),
    { done: [], open: '' },
  );
  // fold ends its last line without a newline: 8191 full lines, then one left open.
  assert.is(out.done.length, 8191);
  assert.ok(out.done.every((l) => l === 'x'.repeat(128)));
  assert.is(out.open, 'x'.repeat(128));
  assert.ok(records.some((l) => /^\S+ stderr F done$/.test(l)));
});

test('stop ends a running VM; nothing of it is left after gc', async () => {
  const uuidFile = join(sb.dir, 'uuid-stop');
  // The app is pid 1 of its pid namespace: SIGTERM reaches it only through a handler, as under runc.
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=kvm', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--', 'sh', '-c', 'trap "exit 143" TERM; sleep 600 & wait'], { reject: false, stdin: 'ignore' });
  const uuid = await waitFor('uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  await waitForState(sb, uuid, 'running');
  const qemu = await waitFor('QEMU', async () => {
    const ps = await execa('ps', ['-eo', 'pid=,args=']);
    return lines(ps.stdout).find((l) => l.includes('qemu-system-x86_64') && l.includes(uuid));
  });
  const qemuPid = Number(qemu.trim().split(/\s+/)[0]);
  const procs = readFileSync(join('/sys/fs/cgroup/memory/podstage', uuid, 'cgroup.procs'), 'utf8');
  assert.ok(lines(procs).includes(String(qemuPid)), 'QEMU runs in the pod cgroup');
  assert.is((await sb.run(['stop', uuid])).exitCode, 0);
  const done = await child;
  assert.is(done.exitCode, 143, 'stopped (SIGTERM), during boot or in the guest');
  assert.is((await status(sb, uuid)).state, 'exited');
  assert.is((await sb.run(['gc'])).exitCode, 0);
  const ps = await execa('ps', ['-eo', 'args=']);
  assert.not.ok(ps.stdout.includes(sb.dir), 'no QEMU or pod process left');
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(sb.dir), 'no overlay left mounted');
  assert.not.ok(existsSync(join('/sys/fs/cgroup/memory/podstage', uuid)), 'no pod cgroup left');
  for (const state of readdirSync(join(sb.dir, 'pods'))) assert.not.ok(existsSync(join(sb.dir, 'pods', state, uuid)), `no pod directory (agent socket, shares) left in ${state}`);
});

test('a guest that never halts is killed at the halt timeout; the pod keeps its exit code and is exited', async () => {
  const uuidFile = join(sb.dir, 'uuid-nohalt');
  const t0 = Date.now();
  const r = await run([`--uuid-file-save=${uuidFile}`, '--annotation=podstage.io/kvm-cmdline=podstage.nohalt', '--annotation=podstage.io/kvm-halt-timeout-seconds=2', DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 5']);
  assert.is(r.exitCode, 5);
  assert.ok(Date.now() - t0 < 60_000);
  const uuid = readFileSync(uuidFile, 'utf8').trim();
  assert.is((await status(sb, uuid)).state, 'exited');
  assert.is(sandboxExit(uuid), '137', 'QEMU was killed (SIGKILL), the guest did not halt');
});

test("the pod's hostname and hosts entries reach the guest's apps", async () => {
  const r = await run(['--hostname=vm1', '--hosts-entry=192.0.2.7=db.test', DEFAULT_IMAGE, '--', 'sh', '-c', 'hostname; cat /etc/hostname; grep db.test /etc/hosts']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, 'vm1\nvm1\n192.0.2.7\tdb.test');
});

test('volumes: a writable host volume is shared with the host, a read-only one and a read-only root refuse writes', async () => {
  const rw = join(sb.dir, 'vol-rw');
  const ro = join(sb.dir, 'vol-ro');
  mkdirSync(rw);
  mkdirSync(ro);
  writeFileSync(join(ro, 'given'), 'from the host\n');
  const r = await run([`--volume=out,kind=host,source=${rw}`, `--volume=in,kind=host,source=${ro},readOnly=true`, DEFAULT_IMAGE, '--readonly-rootfs', '--mount=volume=out,target=/out', '--mount=volume=in,target=/in', '--',
    'sh', '-c', 'cat /in/given; echo written > /out/result; touch /in/x 2>&1; touch /etc/x 2>&1; true']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const out = lines(r.stdout);
  assert.is(out[0], 'from the host');
  assert.match(out[1] ?? '', /Read-only file system/);
  assert.match(out[2] ?? '', /Read-only file system/);
  assert.is(readFileSync(join(rw, 'result'), 'utf8'), 'written\n');
  assert.not.ok(existsSync(join(ro, 'x')));
});

/** Two apps of one pod that meet in the pod's /dev/shm: `a` runs until `b` has run its probe. */
const WAITS_FOR_PROBE = ['sh', '-c', 'touch /dev/shm/a-up; while [ ! -e /dev/shm/b-done ]; do sleep 0.1; done'];
const probeWhileRunning = (probe: string) => ['sh', '-c', `while [ ! -e /dev/shm/a-up ]; do sleep 0.1; done; ${probe}; touch /dev/shm/b-done`];
const PROCESS_PROBE = `echo "pid $$"
for d in /proc/[0-9]*; do echo "proc \${d#/proc/} $(tr '\\0' ' ' < $d/cmdline 2>/dev/null)"; done
echo "root $(ls -A /proc/1/root/ 2>&1 | tr '\\n' ' ')"
echo "own $(ls -A / | tr '\\n' ' ')"
[ -e /pod ] && echo "the guest's share is visible"
true`;

test("each app has its own pid and mount namespaces: pid 1, nothing of the guest's or another app's, even with every capability; a pod may share one pid namespace", async () => {
  const own = await run(['--insecure-options=capabilities', DEFAULT_IMAGE, '--name=a', '--', ...WAITS_FOR_PROBE, '---', DEFAULT_IMAGE, '--name=b', '--', ...probeWhileRunning(PROCESS_PROBE)]);
  assert.is(own.exitCode, 0, String(own.stderr));
  const out = lines(own.stdout);
  assert.is(out[0], 'pid 1');
  const procs = out.filter((l) => l.startsWith('proc '));
  assert.match(procs[0] ?? '', /^proc 1 sh -c while \[ ! -e \/dev\/shm\/a-up \]/, 'pid 1 is the app itself');
  for (const l of procs) assert.not.match(l, /b-done \]|podstage|\/init/, `neither app a nor the guest's agent, init or helpers: ${l}`);
  const root = out.find((l) => l.startsWith('root '))?.slice(5);
  assert.is(root, out.find((l) => l.startsWith('own '))?.slice(4), "/proc/1/root is the app's own root");
  assert.not.ok(out.includes("the guest's share is visible"));

  const shared = await run(['--annotation=podstage.io/share-pid-namespace=true', DEFAULT_IMAGE, '--name=a', '--', ...WAITS_FOR_PROBE, '---', DEFAULT_IMAGE, '--name=b', '--', ...probeWhileRunning(PROCESS_PROBE)]);
  assert.is(shared.exitCode, 0, String(shared.stderr));
  const seen = lines(shared.stdout);
  assert.ok(Number(seen[0]?.slice(4)) > 1, seen[0]);
  const sharedProcs = seen.filter((l) => l.startsWith('proc '));
  assert.match(sharedProcs[0] ?? '', /^proc 1 \/bin\/podstage-exec-app pod-init /, "the pod's own init is pid 1");
  assert.ok(sharedProcs.some((l) => l.includes('while [ ! -e /dev/shm/b-done ]')), 'app a is visible');
  for (const l of sharedProcs) assert.not.match(l, /\/run\/podstage\/app-|\/init|podstage-agent/, `not the guest's agent or init: ${l}`);
  assert.match(seen.find((l) => l.startsWith('root ')) ?? '', 'Permission denied', "the pod's init is out of reach");
});

test('enter runs a command in the running app inside the guest: its user, directory, stdin, output and exit code', async () => {
  const { child, uuid } = await runInBackground([DEFAULT_IMAGE, '--name=web', '--user=podstage', '--working-dir=/tmp', '--', 'sh', '-c', 'echo private > /tmp/only-here; echo ready; exec sleep 600']);
  await waitForLog(uuid, 'web', 'ready');
  const r = await sb.run(['enter', '--app=web', uuid, '--', 'sh', '-c', 'cat /tmp/only-here; id -u; pwd; uname -r; cat /proc/1/comm; echo oops >&2; exit 4']);
  assert.is(r.exitCode, 4, String(r.stderr));
  // Its mount namespace (the app's /tmp) and its pid namespace (pid 1 is the app).
  assert.equal(lines(r.stdout), ['private', '1000', '/tmp', readFileSync(join(GUEST, 'release'), 'utf8').trim(), 'sleep']);
  assert.is(String(r.stderr), 'oops');
  const big = await sb.run(['enter', uuid, '--', 'sh', '-c', 'head -c 1048576 /dev/zero | tr "\\0" y']);
  assert.is(big.exitCode, 0);
  assert.is(String(big.stdout).length, 1048576);
  assert.ok(/^y+$/.test(String(big.stdout)));
  // stdin that comes at once, with its end, is read whole: the guest holds its FIFO from the exec request on.
  for (let i = 0; i < 10; i++) {
    const fed = await sb.run(['enter', uuid, '--', 'cat'], { stdin: 'pipe', input: `line ${i}\n` });
    assert.is(fed.exitCode, 0, String(fed.stderr));
    assert.is(fed.stdout, `line ${i}`, `enter ${i} read its stdin`);
  }
  const noCommand = await sb.run(['enter', uuid]);
  assert.is.not(noCommand.exitCode, 0);
  assert.match(String(noCommand.stderr), 'enter needs a command');
  assert.equal(readdirSync(join(sb.dir, 'pods', 'run', uuid, 'stage1', 'kvm', 'output')).sort(), ['web.running', 'web.stderr', 'web.stdout'], 'exec output files are removed; the app\'s own stay');
  assert.is((await sb.run(['stop', '--force', uuid])).exitCode, 0);
  assert.is((await child).exitCode, 137);
});

test('mutable pod in a VM: sandbox, add, start, talk over loopback, stop, restart, rm', async () => {
  const uuidFile = join(sb.dir, 'uuid-sandbox');
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'app', 'sandbox', '--stage1-name=kvm', `--uuid-file-save=${uuidFile}`], { reject: false, stdin: 'ignore' });
  const uuid = await waitFor('uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  await waitFor('the pod to run', () => (existsSync(join(sb.dir, 'pods', 'run', uuid, 'pid')) ? true : undefined), 120_000);
  assert.is((await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=web', '--', 'sh', '-c', 'echo up; echo hi | nc -l -p 8080'])).exitCode, 0);
  assert.is((await sb.run(['app', 'start', '--app=web', uuid])).exitCode, 0);
  await waitForLog(uuid, 'web', 'up');
  assert.is((await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=client', '--', 'nc', '127.0.0.1', '8080'])).exitCode, 0);
  assert.is((await sb.run(['app', 'start', '--app=client', uuid])).exitCode, 0);
  await waitForLog(uuid, 'client', 'hi');
  const client = await waitForAppExit(sb, uuid, 'client');
  assert.is(client.exitCode, 0);
  assert.is((await status(sb, uuid)).state, 'running', 'a sandbox outlives its apps');

  assert.is((await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=counter', '--', 'sh', '-c', 'trap "exit 143" TERM; echo run >> /count; wc -l < /count; sleep 600 & wait'])).exitCode, 0);
  for (const expected of ['1', '2']) {
    assert.is((await sb.run(['app', 'start', '--app=counter', uuid])).exitCode, 0);
    await waitForLog(uuid, 'counter', ` stdout F ${expected}`);
    assert.is((await sb.run(['app', 'stop', '--app=counter', uuid])).exitCode, 0);
    const stopped = await appStatus(sb, uuid, 'counter');
    assert.equal([stopped.state, stopped.exitCode], ['exited', 143]);
  }
  assert.is((await sb.run(['app', 'rm', '--app=counter', uuid])).exitCode, 0);
  assert.not.ok(existsSync(join(sb.dir, 'pods', 'run', uuid, 'apps', 'counter')));
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(join(uuid, 'apps', 'counter')), "the removed app's root is unmounted");
  assert.is((await sb.run(['stop', uuid])).exitCode, 0);
  await child;
  assert.is((await status(sb, uuid)).state, 'exited');
});

test("apps in the guest get the pod's isolation plan: own cgroup, capabilities, no-new-privileges, seccomp, oom score; defaults on", async () => {
  const probe = 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t " " "; cat /proc/self/oom_score_adj; mkdir /tmp/d 2>&1; cat /proc/self/cgroup; ls /dev | tr "\n" " "; echo';
  const r = await run([DEFAULT_IMAGE, '--name=tight', '--memory=48Mi', '--cpu=500m', '--caps-remove=CAP_CHOWN', '--no-new-privileges', '--seccomp=mode=remove,errno=EACCES,mkdir,mkdirat', '--oom-score-adj=500', '--', 'sh', '-c', `${probe}; sleep 2`,
    '---', DEFAULT_IMAGE, '--name=plain', '--', 'sh', '-c', 'sleep 1; grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t " " "']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const out = lines(r.stdout);
  assert.equal(out.slice(0, 6), ['CapBnd: 00000000a80425fa', 'NoNewPrivs: 1', 'Seccomp: 2', '500', "mkdir: can't create directory '/tmp/d': Permission denied", '0::/app-tight'], String(r.stderr));
  assert.is(out[6]?.trim(), 'fd full null ptmx pts random shm stderr stdin stdout tty urandom zero', "runc's devices, not the guest's (no agent port)");
  assert.equal(out.slice(7), ['CapBnd: 00000000a80425fb', 'NoNewPrivs: 0', 'Seccomp: 2'], "rkt's default capabilities and the default seccomp allowlist");
  const open = await run(['--insecure-options=seccomp,capabilities', DEFAULT_IMAGE, '--', 'sh', '-c', 'grep -E "^(CapBnd|Seccomp):" /proc/self/status | tr -s "\t " " "']);
  assert.is(open.exitCode, 0, String(open.stderr));
  assert.equal(lines(open.stdout), ['CapBnd: 000001ffffffffff', 'Seccomp: 0']);
});

test('no capability set exceeds the bounding set: a root app holds it, a non-root app nothing, a setuid-root binary at most it (nothing with no-new-privileges)', async () => {
  const suid = await buildSetuidProgram();
  try {
    const uuidFile = join(sb.dir, 'uuid-caps');
    const own = ['grep', '^Cap', '/proc/self/status'];
    const ownThenSetuid = ['sh', '-c', 'grep ^Cap /proc/self/status; echo ---; /suid/setuid-status'];
    const r = await run([`--uuid-file-save=${uuidFile}`, `--volume=suid,kind=host,source=${suid},readOnly=true`,
      DEFAULT_IMAGE, '--name=root', '--caps-remove=CAP_CHOWN', '--', ...own,
      '---', DEFAULT_IMAGE, '--name=user', '--user=podstage', '--caps-remove=CAP_CHOWN', '--mount=volume=suid,target=/suid', '--', ...ownThenSetuid,
      '---', DEFAULT_IMAGE, '--name=nnp', '--user=podstage', '--no-new-privileges', '--mount=volume=suid,target=/suid', '--', ...ownThenSetuid]);
    assert.is(r.exitCode, 0, String(r.stderr));
    const uuid = readFileSync(uuidFile, 'utf8').trim();
    const sets = (app: string) => appStdout(uuid, app).join('\n').split('---').map(capSets);
    const NONE = '0000000000000000';
    const BOUNDING = '00000000a80425fa';
    const none = (bounding: string) => ({ CapInh: NONE, CapPrm: NONE, CapEff: NONE, CapBnd: bounding, CapAmb: NONE });
    const held = { CapInh: NONE, CapPrm: BOUNDING, CapEff: BOUNDING, CapBnd: BOUNDING, CapAmb: NONE };
    assert.equal(sets('root'), [held]);
    assert.equal(sets('user'), [none(BOUNDING), { Euid: '0', ...held }], 'the setuid binary runs as root, bounded (no CAP_CHOWN)');
    assert.equal(sets('nnp'), [none('00000000a80425fb'), { Euid: '1000', ...none('00000000a80425fb') }]);
  } finally {
    rmSync(suid, { recursive: true, force: true });
  }
});

test("runc's masked and read-only /proc and /sys paths: an app reads nothing there and cannot write the guest's sysctls or sysrq", async () => {
  const probe = [
    'for f in kcore keys timer_list; do echo "$f $(wc -c < /proc/$f 2>&1)"; done',
    'echo "acpi $(ls -A /proc/acpi | wc -l) firmware $(ls -A /sys/firmware | wc -l)"',
    '(echo h > /proc/sysrq-trigger) 2>&1', '(echo 1 > /proc/sys/vm/drop_caches) 2>&1', 'touch /sys/x 2>&1', 'true',
  ].join('; ');
  const r = await run([DEFAULT_IMAGE, '--', 'sh', '-c', probe]);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.equal(lines(r.stdout), [
    'kcore 0', 'keys 0', 'timer_list 0', 'acpi 0 firmware 0',
    "sh: can't create /proc/sysrq-trigger: Read-only file system",
    "sh: can't create /proc/sys/vm/drop_caches: Read-only file system",
    "touch: /sys/x: Read-only file system",
  ]);
});

test("runc's device allowlist: a node an app makes cannot be opened, runc's default devices can", async () => {
  const probe = [
    'mknod /dev/podstage-kmsg c 1 11 && echo mknod-ok', '(exec 3</dev/podstage-kmsg) 2>&1',
    'mknod /dev/podstage-disk b 254 0 && (exec 3</dev/podstage-disk) 2>&1',
    'echo ok > /dev/null && echo null-ok', 'echo "urandom $(head -c 4 /dev/urandom | wc -c)"', 'true',
  ].join('; ');
  const r = await run([DEFAULT_IMAGE, '--', 'sh', '-c', probe]);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.equal(lines(r.stdout), [
    'mknod-ok', "sh: can't open /dev/podstage-kmsg: Operation not permitted",
    "sh: can't open /dev/podstage-disk: Operation not permitted", 'null-ok', 'urandom 4',
  ]);
});

test('what the guest cannot honour is refused before a pod is written', async () => {
  const known = new Set(['prepare', 'prepared', 'run'].flatMap((state) => (existsSync(join(sb.dir, 'pods', state)) ? readdirSync(join(sb.dir, 'pods', state)) : [])));
  const host = await run(['--net=host', DEFAULT_IMAGE, '--', 'true']);
  assert.is(host.exitCode, 254);
  assert.match(String(host.stderr), "stage1 kvm: --net=host: a VM cannot share the host's network");
  const kernel = await run(['--annotation=podstage.io/kvm-kernel=/nonexistent/vmlinux', DEFAULT_IMAGE, '--', 'true']);
  assert.is(kernel.exitCode, 254);
  assert.match(String(kernel.stderr), 'stage1 kvm: annotation podstage.io/kvm-kernel: guest kernel /nonexistent/vmlinux is missing');
  const halt = await run(['--annotation=podstage.io/kvm-halt-timeout-seconds=soon', DEFAULT_IMAGE, '--', 'true']);
  assert.is(halt.exitCode, 254);
  assert.match(String(halt.stderr), 'annotation podstage.io/kvm-halt-timeout-seconds: expected a whole number of seconds (1 or more), got "soon"');
  for (const state of ['prepare', 'prepared', 'run']) {
    assert.equal(existsSync(join(sb.dir, 'pods', state)) ? readdirSync(join(sb.dir, 'pods', state)).filter((u) => !known.has(u)) : [], [], `no pod left in ${state}`);
  }
});

test('the optional minimal kernel (podstage.io/kvm-kernel=minimal) runs the same pod: shares, agent, cgroup limits, seccomp, pid namespace, device filter', async () => {
  const release = readFileSync(join(REPO, 'build', 'guest-minimal', 'release'), 'utf8').trim();
  const r = await run(['--annotation=podstage.io/kvm-kernel=minimal', DEFAULT_IMAGE, '--memory=32Mi', '--', 'sh', '-c',
    'uname -r; cat /proc/self/cgroup; grep Seccomp: /proc/self/status | tr -s "\t" " "; echo "pid $$"; mknod /dev/kmsg c 1 11; (exec 3</dev/kmsg) 2>&1; exec dd if=/dev/zero of=/dev/null bs=96M count=1']);
  assert.is(r.exitCode, 137, `killed beyond its memory limit; ${String(r.stderr)}`);
  assert.equal(lines(r.stdout), [release, '0::/app-default', 'Seccomp: 2', 'pid 1', "sh: can't open /dev/kmsg: Operation not permitted"]);
  assert.match(release, /-podstage-minimal$/);
});

test.run();
