/**
 * stage1 runc's sandbox when no app shares its pid namespace: a namespace
 * holder instead of a runc container. It holds no capability in any of the
 * five sets, has no_new_privs, lives in the pod's cgroup, holds the network,
 * IPC and UTS namespaces the app is in, is out of the app's sight, and goes
 * with the pod. A pod whose apps share a pid namespace keeps runc's sandbox.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { suite } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const t = suite<{ sb: Sandbox }>('runc namespace holder', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

const sandboxBundle = (sb: Sandbox, uuid: string) => join(sb.dir, 'pods', 'run', uuid, 'stage1', 'bundles', 'sandbox');
const statusField = (pid: number, field: string) => new RegExp(`^${field}:\\s+(\\S+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
const alive = (pid: number) => existsSync(`/proc/${pid}`) && statusField(pid, 'State') !== 'Z';

for (const runtime of ['runc', 'crun']) {
  t(`${runtime}: the holder has no capability, no_new_privs, the pod's cgroup and the namespaces the app joined; it goes with the pod`, async ({ sb }) => {
    const r = await sb.run(['run', '-d', '--stage1-name=runc', `--runtime=${runtime}`, '--net=none', '--hostname=held', DEFAULT_IMAGE, '--', 'sleep', '1000']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const uuid = String(r.stdout).trim();
    const bundle = sandboxBundle(sb, uuid);
    assert.ok(existsSync(join(bundle, 'holder.sh')), 'the sandbox is a namespace holder');
    assert.not.ok(existsSync(join(bundle, 'config.json')), 'no runc container for it');
    const holder = Number(readFileSync(join(bundle, 'container.pid'), 'utf8'));
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.is(statusField(holder, set), '0000000000000000', set);
    assert.is(statusField(holder, 'NoNewPrivs'), '1');
    assert.match(readFileSync(`/proc/${holder}/cgroup`, 'utf8'), new RegExp(`:/podstage/${uuid}$`, 'm'));
    const app = Number(readFileSync(join(sb.dir, 'pods', 'run', uuid, 'stage1', 'bundles', 'default', 'container.pid'), 'utf8'));
    for (const ns of ['net', 'ipc', 'uts']) assert.is(readlinkSync(`/proc/${app}/ns/${ns}`), readlinkSync(`/proc/${holder}/ns/${ns}`), `the app is in the holder's ${ns} namespace`);
    for (const ns of ['net', 'ipc', 'uts']) assert.is.not(readlinkSync(`/proc/${holder}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `a ${ns} namespace of the pod's own`);
    assert.is.not(readlinkSync(`/proc/${app}/ns/pid`), readlinkSync(`/proc/${holder}/ns/pid`), 'the app has a pid namespace of its own');
    const seen = await sb.run(['enter', uuid, '--', 'sh', '-c', 'hostname; ip -o link show lo; ps -o comm']);
    assert.is(seen.exitCode, 0, String(seen.stderr));
    assert.match(String(seen.stdout), /^held\n/);
    assert.match(String(seen.stdout), /<LOOPBACK,UP/);
    assert.not.match(String(seen.stdout), 'busybox', 'the holder is out of the app\'s sight');
    assert.is((await sb.run(['stop', '--force', uuid])).exitCode, 0);
    await waitFor('the holder to be gone', () => (alive(holder) ? undefined : true), 10_000);
    assert.is((await sb.run(['rm', uuid])).exitCode, 0);
  });
}

t('apps sharing the pod\'s pid namespace get runc\'s sandbox, whose init they see', async ({ sb }) => {
  const r = await sb.run(['run', '-d', '--stage1-name=runc', '--net=none', '--annotation=podstage.io/share-pid-namespace=true', DEFAULT_IMAGE, '--', 'sleep', '1000']);
  assert.is(r.exitCode, 0, String(r.stderr));
  const uuid = String(r.stdout).trim();
  const bundle = sandboxBundle(sb, uuid);
  assert.ok(existsSync(join(bundle, 'config.json')), 'a runc container');
  assert.not.ok(existsSync(join(bundle, 'holder.sh')));
  const seen = await sb.run(['enter', uuid, '--', 'ps', '-o', 'pid,comm']);
  assert.match(String(seen.stdout), /^\s*1 busybox$/m, 'pid 1 is the sandbox\'s init');
  assert.is((await sb.run(['stop', '--force', uuid])).exitCode, 0);
  assert.is((await sb.run(['rm', uuid])).exitCode, 0);
});

t.run();
