/** A running fly pod: no podstage process left behind, enter, stop, status. */
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** Whether `signal` is in a signal mask of /proc/PID/status (SigIgn, SigPnd, ShdPnd). */
function inSignalMask(pid: number, mask: string, signal: NodeJS.Signals): boolean {
  const hex = new RegExp(`^${mask}:\\s*([0-9a-f]+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
  return ((BigInt(`0x${hex}`) >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n;
}

/**
 * `podstage stop` while the app sits frozen in a cgroup v1 freezer cgroup of its own: a frozen process cannot
 * die, its SIGKILL stays pending, like a process that takes long to exit. Once stop has sent SIGKILL the app
 * stays frozen a moment, then is thawed. Says whether stop returned while the app was still alive.
 */
async function stopWhileFrozen(uuid: string, pid: number, args: string[]) {
  const freezer = '/sys/fs/cgroup/freezer';
  const cgroup = join(freezer, `podstage-test-${pid}`);
  const setState = (state: 'FROZEN' | 'THAWED') => writeFileSync(join(cgroup, 'freezer.state'), state);
  mkdirSync(cgroup);
  try {
    writeFileSync(join(cgroup, 'cgroup.procs'), String(pid));
    setState('FROZEN');
    await waitFor('the app to be frozen', () => (readFileSync(join(cgroup, 'freezer.state'), 'utf8').trim() === 'FROZEN' || undefined));
    const stopping = sb.run(['stop', ...args, uuid]);
    await waitFor('stop to send the app SIGKILL', () => inSignalMask(pid, 'SigPnd', 'SIGKILL') || inSignalMask(pid, 'ShdPnd', 'SIGKILL') || undefined, 15_000);
    const returnedWhileAlive = await Promise.race([stopping.then(() => true), sleep(500).then(() => false)]);
    setState('THAWED');
    return { stop: await stopping, returnedWhileAlive };
  } finally {
    setState('THAWED');
    try {
      writeFileSync(join(freezer, 'cgroup.procs'), String(pid)); // only if a failed stop left it alive
    } catch {
      // gone
    }
    rmdirSync(cgroup);
  }
}

/** Start an app that ignores SIGTERM, stop it with `args`; returns how long stop took. */
async function stopAppIgnoringTerm(args: string[]): Promise<number> {
  const { child, uuid: pending } = startPod(['--', 'sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  const pid = child.pid as number;
  await waitFor('the app to ignore SIGTERM', () => inSignalMask(pid, 'SigIgn', 'SIGTERM') || undefined);
  const started = Date.now();
  const { stop, returnedWhileAlive } = await stopWhileFrozen(uuid, pid, args);
  const took = Date.now() - started;
  assert.is(stop.exitCode, 0, String(stop.stderr));
  assert.not.ok(returnedWhileAlive, 'stop returned while the app was still alive');
  assert.not.ok(existsSync(`/proc/${pid}`), 'the app is gone when stop returns, not even a zombie is left');
  assert.is((await child).signal, 'SIGKILL');
  return took;
}

test('stop kills an app that ignores SIGTERM after the timeout, --force at once; both return when the app is gone', async () => {
  assert.ok((await stopAppIgnoringTerm([])) >= 9_000, 'waited for the grace period first');
  assert.ok((await stopAppIgnoringTerm(['--force'])) < 5_000);
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
