/** A running fly pod: no podstage process left behind, enter, stop, status. */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, lines, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { status, waitForState } from '../helpers/pods.js';
import { waitFor } from '../helpers/wait.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

function startPod(args: string[]) {
  const uuidFile = join(sb.dir, `uuid-${Date.now()}-${Math.random()}`);
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=fly', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, ...args], { reject: false, stdin: 'ignore' });
  const uuid = waitFor('the pod uuid file', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  return { child, uuid };
}

test('after hand-over the app is the podstage process: no Node process stays for the pod', async () => {
  const { child, uuid: pending } = startPod(['--', 'sleep', '30']);
  const uuid = await pending;
  const running = await waitForState(sb, uuid, 'running');
  assert.is(running.pid, child.pid, 'the pid podstage was started as is the app');
  const cmdline = await waitFor('exec of sleep', () => {
    const c = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    return c.startsWith('sleep') ? c : undefined;
  });
  assert.is(cmdline, 'sleep\u000030\u0000');
  const ps = await execa('ps', ['-eo', 'pid=,args=']);
  const stage0 = lines(ps.stdout).filter((l) => l.includes(sb.dir) && /node|podstage/.test(l) && !l.includes(' status '));
  assert.equal(stage0, [], 'no podstage or node process for this pod');
  await sb.run(['stop', '--force', uuid]);
  await child;
});

test("enter runs with the app's mount namespace, root, user and capabilities", async () => {
  const { child, uuid: pending } = startPod(['--user=podstage', '--caps-remove=CAP_CHOWN', '--no-new-privileges', '--', 'sh', '-c', 'echo inside > /tmp/marker; exec sleep 30']);
  const uuid = await pending;
  const pod = await waitForState(sb, uuid, 'running');
  await waitFor('the app to write its marker', () => (readFileSync(`/proc/${pod.pid}/cmdline`, 'utf8').startsWith('sleep') ? true : undefined));
  const r = await sb.run(['enter', uuid, '--', 'sh', '-c', 'cat /tmp/marker; id -u; readlink /proc/self/ns/mnt; grep -E "CapBnd|NoNewPrivs" /proc/self/status']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const [marker, uid, mnt, capBnd, nnp] = lines(r.stdout);
  assert.is(marker, 'inside', "sees the app's private /tmp");
  assert.is(uid, '1000');
  assert.is(mnt, readlinkSync(`/proc/${pod.pid}/ns/mnt`));
  const appStatus = readFileSync(`/proc/${pod.pid}/status`, 'utf8');
  assert.is(capBnd, /CapBnd:.*/.exec(appStatus)?.[0]);
  assert.is(nnp?.replace(/\s+/g, ' '), 'NoNewPrivs: 1');
  const code = await sb.run(['enter', uuid, '--', 'sh', '-c', 'exit 5']);
  assert.is(code.exitCode, 5, "enter's exit code is the command's");
  await sb.run(['stop', '--force', uuid]);
  await child;
});

test('stop is graceful: SIGTERM ends the app; status shows it exited', async () => {
  const { child, uuid: pending } = startPod(['--', 'sleep', '30']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  const stop = await sb.run(['stop', uuid]);
  assert.is(stop.exitCode, 0, String(stop.stderr));
  const done = await child;
  assert.is(done.signal, 'SIGTERM');
  const s = await status(sb, uuid);
  assert.is(s.state, 'exited');
  const again = await sb.run(['stop', uuid]);
  assert.is(again.exitCode, 1);
  assert.match(String(again.stderr), 'is exited, not running');
});

test('stop kills an app that ignores SIGTERM after the timeout; --force kills at once', async () => {
  const { child, uuid: pending } = startPod(['--', 'sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  const started = Date.now();
  const stop = await sb.run(['stop', uuid]);
  assert.is(stop.exitCode, 0);
  assert.is((await child).signal, 'SIGKILL');
  assert.ok(Date.now() - started >= 9_000, 'waited for the grace period first');

  const forced = startPod(['--', 'sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
  const uuid2 = await forced.uuid;
  await waitForState(sb, uuid2, 'running');
  const t0 = Date.now();
  await sb.run(['stop', '--force', uuid2]);
  assert.is((await forced.child).signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 5_000);
});

test('gc removes exited pods and nothing of them is left', async () => {
  const gc = await sb.run(['gc']);
  assert.is(gc.exitCode, 0, String(gc.stderr));
  const left = await sb.run(['list', '--format=json']);
  assert.equal(JSON.parse(String(left.stdout)), []);
  for (const d of ['run', 'exited-garbage', 'garbage']) {
    const entries = execa('ls', [join(sb.dir, 'pods', d)]);
    assert.is((await entries).stdout, '', `pods/${d} is empty`);
  }
});

test.run();
