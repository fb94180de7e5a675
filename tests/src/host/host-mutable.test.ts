/** stage1-host: enter with the app's own isolation, and mutable pods (app sandbox / add / start / stop / rm). */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, lines, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { appStatus, status, waitForAppExit, waitForState } from '../helpers/pods.js';
import { waitFor } from '../helpers/wait.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

function start(args: string[]) {
  const uuidFile = join(sb.dir, `uuid-${Date.now()}-${Math.random()}`);
  const child = execa(PODSTAGE, ['--dir', sb.dir, ...args.slice(0, args.indexOf('@')), `--uuid-file-save=${uuidFile}`, ...args.slice(args.indexOf('@') + 1)], { reject: false, stdin: 'ignore' });
  const uuid = waitFor('the pod uuid file', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
  return { child, uuid };
}

const appLog = (uuid: string, app: string) => join(sb.dir, 'pods', 'run', uuid, 'apps', app, 'log');
const waitForLog = (uuid: string, app: string, text: string) =>
  waitFor(`${app} to log ${text}`, () => (existsSync(appLog(uuid, app)) && readFileSync(appLog(uuid, app), 'utf8').includes(text) ? true : undefined));

test("enter inherits the app's namespaces, cgroup, user, capabilities, no-new-privs and seccomp", async () => {
  const { child, uuid: pending } = start(['run', '--stage1-name=host', '@', DEFAULT_IMAGE, '--name=web', '--user=podstage', '--caps-remove=CAP_CHOWN', '--no-new-privileges', '--seccomp=mode=remove,errno=EACCES,mkdir,mkdirat', '--',
    'sh', '-c', 'echo private > /tmp/only-here; echo ready; exec sleep 60']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  await waitForLog(uuid, 'web', 'ready');
  const probe = 'cat /tmp/only-here; id -u; id -g; hostname; sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup; grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; readlink /proc/1/exe; mkdir /tmp/d 2>&1';
  const r = await sb.run(['enter', uuid, '--', 'sh', '-c', probe]);
  const out = lines(r.stdout).map((l) => l.replace(/\s+/g, ' '));
  assert.is(out[0], 'private', "the app's own mount namespace and /tmp");
  assert.equal(out.slice(1, 3), ['1000', '1000']);
  assert.match(out[3]!, /^podstage-/);
  assert.is(out[4], '/apps/web');
  assert.is(out[5], 'CapBnd: 00000000a80425fa');
  assert.is(out[6], 'NoNewPrivs: 1');
  assert.is(out[7], 'Seccomp: 2');
  assert.match(String(r.stdout) + String(r.stderr), 'Permission denied');
  const pidns = await sb.run(['enter', uuid, '--', 'sh', '-c', 'readlink /proc/self/ns/pid']);
  assert.is.not(String(pidns.stdout), readlinkSync('/proc/self/ns/pid'));
  const code = await sb.run(['enter', uuid, '--', 'sh', '-c', 'exit 5']);
  assert.is(code.exitCode, 5);
  await sb.run(['stop', '--force', uuid]);
  await child;
});

test('mutable pod: sandbox, add, start, stop, rm, list, status', async () => {
  const { child, uuid: pending } = start(['app', 'sandbox', '--stage1-name=host', '@', '--net=none']);
  const uuid = await pending;
  await waitForState(sb, uuid, 'running');
  // The sandbox runs once its monitor's pid is written.
  await waitFor('the sandbox', () => (existsSync(join(sb.dir, 'pods', 'run', uuid, 'pid')) ? true : undefined));
  assert.equal(lines((await sb.run(['app', 'list', '--no-legend', uuid])).stdout), []);

  const add = await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=web', '--', 'sh', '-c', 'echo up; echo hi | nc -l -p 8080']);
  assert.is(add.exitCode, 0, String(add.stderr));
  assert.is(add.stdout, 'web');
  const listed = JSON.parse(String((await sb.run(['app', 'list', '--format=json', uuid])).stdout));
  assert.equal(listed.map((a: { name: string; state: string }) => [a.name, a.state]), [['web', 'created']]);
  assert.is((await sb.run(['app', 'start', '--app=web', uuid])).exitCode, 0);
  await waitForLog(uuid, 'web', 'up');
  await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=client', '--', 'nc', '127.0.0.1', '8080']);
  assert.is((await sb.run(['app', 'start', '--app=client', uuid])).exitCode, 0);
  await waitForLog(uuid, 'client', 'hi');
  const client = await waitForAppExit(sb, uuid, 'client');
  assert.is(client.exitCode, 0);
  assert.is((await status(sb, uuid)).state, 'running', 'a sandbox outlives its apps');

  const dup = await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=web', '--', 'true']);
  // ERR_PODSTAGE_APP_EXISTS: a conflict with the pod's state, not a usage error.
  assert.is(dup.exitCode, 1);
  assert.match(String(dup.stderr), 'already has an app named web; choose another name');
  // pid 1 of its own pid namespace: SIGTERM reaches it through its handler.
  assert.is((await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=sleeper', '--', 'sh', '-c', 'trap "exit 143" TERM; sleep 60 & wait'])).exitCode, 0);
  assert.is((await sb.run(['app', 'start', '--app=sleeper', uuid])).exitCode, 0);
  const rmRunning = await sb.run(['app', 'rm', '--app=sleeper', uuid]);
  assert.is(rmRunning.exitCode, 1);
  assert.match(String(rmRunning.stderr), 'is running: stop it first');
  assert.is((await sb.run(['app', 'stop', '--app=sleeper', uuid])).exitCode, 0);
  const stopped = await appStatus(sb, uuid, 'sleeper');
  assert.equal([stopped.state, stopped.exitCode], ['exited', 143]);
  assert.is((await sb.run(['app', 'rm', '--app=sleeper', uuid])).exitCode, 0);
  assert.not.ok(existsSync(join(sb.dir, 'pods', 'run', uuid, 'apps', 'sleeper')));
  const names = JSON.parse(String((await sb.run(['cat-manifest', uuid])).stdout)).apps.map((a: { name: string }) => a.name);
  assert.equal(names, ['web', 'client']);

  const notSandbox = await sb.run(['app', 'add', uuid.slice(0, 4) + '0000-0000-0000-0000-000000000000', DEFAULT_IMAGE]);
  assert.is(notSandbox.exitCode, 1);
  assert.is((await sb.run(['stop', uuid])).exitCode, 0);
  await child;
  assert.is((await status(sb, uuid)).state, 'exited');
  assert.is((await sb.run(['gc'])).exitCode, 0);
});

test('fly refuses to be a sandbox', async () => {
  const r = await sb.run(['app', 'sandbox', '--stage1-name=fly']);
  assert.is(r.exitCode, 1);
  assert.match(String(r.stderr), 'stage1 fly: mutable pods (app sandbox) need a supervisor in the pod');
});

test.run();
