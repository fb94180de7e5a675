/** stage1-kvm: real VMs (TCG on this host, so few boots). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, lines, PODSTAGE, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';
import { status, waitForState } from '../helpers/pods.js';
import { waitFor } from '../helpers/wait.js';

let sb: Sandbox;
const run = (args: string[]) => sb.run(['run', '--stage1-name=kvm', ...args]);
const GUEST = join(REPO, 'build', 'guest');

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
  assert.match(readFileSync(join(sb.dir, 'pods', 'run', s.uuid, 'stage1', 'kvm', 'accelerator'), 'utf8'), /^(tcg|kvm) \(/);
});

test('1 MiB of app output arrives intact in the CRI log; stdout and stderr stay apart', async () => {
  const uuidFile = join(sb.dir, 'uuid-log');
  const r = await run([`--uuid-file-save=${uuidFile}`, '--stdout=log', DEFAULT_IMAGE, '--name=loud', '--', 'sh', '-c', "dd if=/dev/zero bs=1024 count=1024 2>/dev/null | tr '\\0' x | fold -w 128; echo done >&2"]);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.is(r.stdout, '');
  assert.match(String(r.stderr), 'done');
  const records = lines(readFileSync(join(sb.dir, 'pods', 'run', readFileSync(uuidFile, 'utf8').trim(), 'apps', 'loud', 'log'), 'utf8'));
  // fold ends its last line without a newline: 8191 full lines, then one partial (P) record.
  const out = records.filter((l) => l.includes(' stdout '));
  assert.is(out.length, 8192);
  assert.ok(out.slice(0, -1).every((l) => /^\S+Z stdout F x{128}$/.test(l)));
  assert.match(out.at(-1) ?? '', /^\S+Z stdout P x{128}$/);
  assert.ok(records.some((l) => /^\S+Z stderr F done$/.test(l)));
});

test('two apps in one VM share its kernel and network namespace', async () => {
  const r = await run([DEFAULT_IMAGE, '--name=a', '--', 'sh', '-c', 'echo hi | nc -l -p 9000', '---', DEFAULT_IMAGE, '--name=b', '--', 'sh', '-c', 'sleep 2; nc 127.0.0.1 9000 </dev/null']);
  assert.is(r.exitCode, 0, String(r.stderr));
  assert.ok(lines(r.stdout).includes('hi'), String(r.stdout));
});

test('stop ends a running VM; nothing of it is left after gc', async () => {
  const uuidFile = join(sb.dir, 'uuid-stop');
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=kvm', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--', 'sleep', '600'], { reject: false, stdin: 'ignore' });
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
  assert.is(done.exitCode, 143, 'the app got SIGTERM inside the guest');
  assert.is((await status(sb, uuid)).state, 'exited');
  assert.is((await sb.run(['gc'])).exitCode, 0);
  const ps = await execa('ps', ['-eo', 'args=']);
  assert.not.ok(ps.stdout.includes(sb.dir), 'no QEMU or pod process left');
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(sb.dir), 'no overlay left mounted');
  assert.not.ok(existsSync(join('/sys/fs/cgroup/memory/podstage', uuid)), 'no pod cgroup left');
});

test('stop: an app that ignores SIGTERM is killed after the grace period, inside the guest', async () => {
  const uuidFile = join(sb.dir, 'uuid-stubborn');
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=kvm', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--name=stubborn', '--', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done'], { reject: false, stdin: 'ignore' });
  const uuid = await waitFor('uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  const log = join(sb.dir, 'pods', 'run', uuid, 'apps', 'stubborn', 'log');
  await waitFor('the app to ignore SIGTERM', () => (existsSync(log) && readFileSync(log, 'utf8').includes('ready') ? true : undefined), 30_000);
  const t0 = Date.now();
  assert.is((await sb.run(['stop', uuid])).exitCode, 0);
  assert.ok(Date.now() - t0 >= 8_000, 'waited for the grace period');
  assert.is((await child).exitCode, 137);
  assert.equal((await status(sb, uuid)).apps.map((a) => a.exitCode), [137]);
});

test('a guest that never halts is killed at the halt timeout; the pod keeps its exit code and is exited', async () => {
  const uuidFile = join(sb.dir, 'uuid-nohalt');
  const t0 = Date.now();
  const r = await run([`--uuid-file-save=${uuidFile}`, '--annotation=podstage.io/kvm-cmdline=podstage.nohalt', '--annotation=podstage.io/kvm-halt-timeout-seconds=2', DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 5']);
  assert.is(r.exitCode, 5);
  assert.match(String(r.stderr), 'the guest did not halt within 2 s after its apps exited: killing QEMU');
  assert.ok(Date.now() - t0 < 60_000);
  assert.is((await status(sb, readFileSync(uuidFile, 'utf8').trim())).state, 'exited');
});

test('what the guest cannot honour yet is refused before a pod is written', async () => {
  const host = await run(['--net=host', DEFAULT_IMAGE, '--', 'true']);
  assert.is(host.exitCode, 254);
  assert.match(String(host.stderr), "stage1 kvm: --net=host: a VM cannot share the host's network");
  const caps = await run([DEFAULT_IMAGE, '--caps-remove=CAP_KILL', '--', 'true']);
  assert.match(String(caps.stderr), 'os/linux/capabilities-remove-set is not enforced inside the guest yet');
});

test.run();
