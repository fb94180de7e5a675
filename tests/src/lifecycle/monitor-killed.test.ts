/**
 * kill -9 of the foreground `podstage run` (only the user's end of the pod),
 * then of the pod's monitor (the process holding the pod lock: the sandbox's
 * conmon under host and runc) while its app lives on: the pod is still
 * running (its cgroups hold processes), enter refuses, gc leaves it, stop ends
 * it through its cgroups, and gc then removes everything.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { suite } from '../helpers/suite.js';
import { DEFAULT_IMAGE, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods, status } from '../helpers/pods.js';
import { waitFor } from '../helpers/wait.js';
import { assertNothingLeft } from '../helpers/leftovers.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const TARGETS = [
  { stage1: 'host', stopFlags: [] },
  // The app is PID 1 of its own pid namespace under runc and ignores SIGTERM: --force spares the 10 s grace period.
  { stage1: 'runc', stopFlags: ['--force'] },
];

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
};

/** The app's process on the host, found in its app cgroup. */
function appProcess(uuid: string, app: string): number | undefined {
  const procs = join(CGROUP_ROOT, 'pids', 'podstage', uuid, 'apps', app, 'cgroup.procs');
  if (!existsSync(procs)) return undefined;
  return readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number).find((pid) => cmdline(pid) === 'sleep 1000');
}

for (const { stage1, stopFlags } of TARGETS) {
  const t = suite<{ sb: Sandbox }>(`monitor killed: ${stage1}`, { sb: undefined as unknown as Sandbox });
  t.before(async (ctx) => {
    ctx.sb = await sandbox();
  });
  t.after((ctx) => ctx.sb.cleanup());

  t('the app outlives its killed monitor: the pod runs until stop, then gc removes it all', async ({ sb }) => {
    const uuidFile = join(sb.dir, 'uuid');
    // No pipes: the app, which outlives the monitor, would hold them open and execa would wait for them.
    const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', `--stage1-name=${stage1}`, `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--name=sleeper', '--', 'sleep', '1000'], { reject: false, stdio: 'ignore' });
    const uuid = await waitFor('the pod uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
    const app = await waitFor('the app process', () => appProcess(uuid, 'sleeper'));
    // `run` writes the pid file once every app has started, just after the app's process appears.
    const pidFile = join(sb.dir, 'pods', 'run', uuid, 'pid');
    const monitor = await waitFor('the pid file', () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) || undefined : undefined));
    assert.is(basename(readlinkSync(`/proc/${monitor}/exe`)), 'conmon', 'the pid file names the monitor');
    child.kill('SIGKILL');
    assert.is((await child).signal, 'SIGKILL');
    const running = await status(sb, uuid);
    assert.is(running.state, 'running', 'the pod outlives its foreground run');
    assert.is(running.monitorGone, undefined);
    assert.is(running.pid, monitor);
    assert.is(cmdline(app), 'sleep 1000');
    process.kill(monitor, 'SIGKILL');

    const orphan = await status(sb, uuid);
    assert.is(orphan.state, 'running');
    assert.is(orphan.monitorGone, true);
    assert.is(orphan.pid, undefined, 'no pid of a dead monitor');
    assert.is((await listPods(sb)).find((p) => p.uuid === uuid)?.state, 'running');
    assert.is(cmdline(app), 'sleep 1000', 'the app still runs');

    const enter = await sb.run(['enter', uuid, '--', 'true']);
    assert.is(enter.exitCode, 254);
    assert.match(String(enter.stderr), `pod ${uuid} still has processes but its monitor is gone`);
    assert.match(String(enter.stderr), `stop pod ${uuid} to end what is left`);
    assert.is((await sb.run(['gc'])).exitCode, 0);
    assert.is((await status(sb, uuid)).state, 'running', 'gc leaves a running pod alone');
    assert.is(cmdline(app), 'sleep 1000');

    const stop = await sb.run(['stop', ...stopFlags, uuid]);
    assert.is(stop.exitCode, 0, String(stop.stderr));
    // Reaping the app is up to PID 1 here, which is slow.
    await waitFor('the app process to be gone', () => (existsSync(`/proc/${app}`) ? undefined : true));
    assert.is((await status(sb, uuid)).state, 'exited');

    const gc = await sb.run(['gc']);
    assert.is(gc.exitCode, 0, String(gc.stderr));
    assert.match(String(gc.stdout), `removed ${uuid}`);
    assert.is((await sb.run(['status', uuid])).exitCode, 1);
    await assertNothingLeft(sb, [uuid]);
  });

  t.run();
}
