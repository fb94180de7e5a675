/**
 * Bad input that a stage1 would only trip over at run time is refused at
 * prepare: one line naming the flag and its value, exit 254, no pod left,
 * and no stage1 ever runs (its errors start with "stage1 NAME:").
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { writeTinyLayout } from '../helpers/oci-layout.js';
import { DEFAULT_IMAGE, lines, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods } from '../helpers/pods.js';

let sb: Sandbox;
let scratch: string;
const LOOP_IMAGE = 'podstage.test/symlink-loop:1';

test.before(async () => {
  sb = await sandbox();
  scratch = mkdtempSync(join(tmpdir(), 'podstage-prepare-checks-'));
  // An image whose /data is a symlink to itself: a volume mounted there cannot resolve.
  writeTinyLayout(join(scratch, 'loop'), [[{ path: 'data', type: 'symlink', linkname: 'data' }]]);
  const fetched = await sb.run(['fetch', `--name=${LOOP_IMAGE}`, `oci:${join(scratch, 'loop')}`]);
  if (fetched.exitCode !== 0) throw new Error(`importing the symlink-loop image: ${String(fetched.stderr)}`);
  mkdirSync(join(scratch, 'volume'));
});
test.after(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await sb.cleanup();
});

async function assertRefusedAtPrepare(args: string[], expected: string): Promise<void> {
  const r = await sb.run(['run', ...args]);
  const what = `run ${args.join(' ')}: ${String(r.stderr)}`;
  assert.is(r.exitCode, 254, what);
  const err = lines(r.stderr);
  assert.is(err.length, 1, what);
  assert.ok(err[0]!.startsWith(`podstage run: ${expected}`), what);
  assert.equal(await listPods(sb), [], `${what}: no pod is left`);
}

const BAD_INPUT: { name: string; args: string[]; after?: string[]; expected: string }[] = [
  { name: 'a missing host path', args: ['--volume=/nonexistent:/d'], expected: '--volume=/nonexistent:/d: host path /nonexistent does not exist' },
  { name: 'an unknown group', args: ['--group=nosuch'], expected: '--group=nosuch: no group "nosuch" in the image\'s /etc/group' },
  { name: 'an unknown user', args: ['--user=nosuch'], expected: '--user=nosuch: no user "nosuch" in the image\'s /etc/passwd' },
  { name: 'an unknown user with a group', args: ['--user=nosuch', '--group=0'], expected: '--user=nosuch: no user "nosuch" in the image\'s /etc/passwd' },
  {
    name: 'an unknown syscall', args: ['--seccomp=mode=remove,notasyscall'],
    expected: '--seccomp=mode=remove,notasyscall: os/linux/seccomp-remove-set.set[0]: "notasyscall" is not an x86_64 syscall name',
  },
  { name: 'an unwritable uuid file', args: [], after: ['--uuid-file-save=/nonexistent/f'], expected: '--uuid-file-save=/nonexistent/f: cannot write the file (ENOENT)' },
];

test('--cgroup-parent: a systemd slice or a relative path is refused; so is any parent under fly, which makes no cgroups', async () => {
  await assertRefusedAtPrepare(['--stage1-name=runc', '--cgroup-parent=kubepods.slice', DEFAULT_IMAGE, '--', 'true'], '--cgroup-parent: "kubepods.slice" is a systemd slice');
  await assertRefusedAtPrepare(['--stage1-name=host', '--cgroup-parent=../x', DEFAULT_IMAGE, '--', 'true'], '--cgroup-parent: expected an absolute cgroup path');
  await assertRefusedAtPrepare(['--stage1-name=fly', '--cgroup-parent=/kubepods/pod1', DEFAULT_IMAGE, '--', 'true'], '--cgroup-parent: stage1 fly (ABI 1) cannot make the pod\'s cgroup under a parent (ABI 9)');
});

for (const stage1 of ['fly', 'host', 'runc']) {
  for (const c of BAD_INPUT) {
    test(`${stage1}: ${c.name} is refused at prepare`, async () => {
      await assertRefusedAtPrepare([`--stage1-name=${stage1}`, ...(c.after ?? []), DEFAULT_IMAGE, ...c.args, '--', 'true'], c.expected);
    });
  }
  test(`${stage1}: a mount target that is a symlink loop in the image is refused at prepare`, async () => {
    const spec = `${join(scratch, 'volume')}:/data`;
    await assertRefusedAtPrepare([`--stage1-name=${stage1}`, LOOP_IMAGE, `--volume=${spec}`], `--volume=${spec}: mount target /data does not resolve in the image (a symlink loop)`);
  });
}

test('kvm: a missing host path is refused at prepare', async () => {
  await assertRefusedAtPrepare(['--stage1-name=kvm', DEFAULT_IMAGE, '--volume=/nonexistent:/d', '--', 'true'], '--volume=/nonexistent:/d: host path /nonexistent does not exist');
});

test('host: a mount target that became a symlink loop after prepare fails in one line naming the path', async () => {
  const spec = `${join(scratch, 'volume')}:/data`;
  const uuid = String((await sb.run(['prepare', '--stage1-name=host', DEFAULT_IMAGE, `--volume=${spec}`, '--', 'true'])).stdout);
  symlinkSync('data', join(sb.dir, 'pods', 'prepared', uuid, 'apps', 'default', 'upper', 'data'));
  const r = await sb.run(['run-prepared', uuid]);
  assert.is(r.exitCode, 254, String(r.stderr));
  const err = lines(r.stderr);
  assert.ok(err.length >= 1 && err.every((l) => l.includes('resolving `/data`') && l.includes('a loop?')), String(r.stderr));
  assert.is((await sb.run(['rm', uuid])).exitCode, 0);
});

test('a pod manifest is checked the same way, its errors naming the manifest fields', async () => {
  const image = String((await sb.run(['image', 'list', '--format=json'])).stdout);
  const id = (JSON.parse(image) as { id: string; names: string[] }[]).find((i) => i.names.includes(DEFAULT_IMAGE))!.id;
  const manifest = join(scratch, 'pod.json');
  writeFileSync(manifest, JSON.stringify({
    apiVersion: 'podstage.io/v1alpha1', kind: 'PodManifest',
    apps: [{ name: 'job', image: { id }, app: { exec: ['true'], user: '0', group: 'nosuch' } }],
  }));
  await assertRefusedAtPrepare(['--stage1-name=fly', `--pod-manifest=${manifest}`], 'apps[job].app.group: no group "nosuch" in the image\'s /etc/group');
});

test.run();
