/**
 * `run --detach` (`-d`): prints the pod's UUID and returns once the pod runs,
 * under every stage1; the app goes on running until `stop`.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods, status } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';
import { waitFor } from '../helpers/wait.js';

const TARGETS = [
  { label: 'fly', flags: ['--stage1-name=fly'] },
  { label: 'host', flags: ['--stage1-name=host'] },
  { label: 'runc', flags: ['--stage1-name=runc'] },
  { label: 'kvm', flags: ['--stage1-name=kvm'] },
];
/** A VM boots before its app starts (TCG here: seconds). */
const STARTUP_MS = 120_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const t = suite<{ sb: Sandbox }>('run --detach', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

for (const { label, flags } of TARGETS) {
  t(`${label}: -d prints the UUID once the pod runs; the app runs on until stop`, async ({ sb }) => {
    const out = mkdtempSync(join(tmpdir(), 'podstage-detach-'));
    chmodSync(out, 0o777);
    const r = await sb.run(['run', '-d', ...flags, DEFAULT_IMAGE, `--volume=${out}:/out`, '--', 'sh', '-c',
      "trap 'exit 0' TERM; echo $$ > /out/ready; while :; do sleep 1; done"]);
    assert.is(r.exitCode, 0, String(r.stderr));
    const uuid = String(r.stdout).trim();
    assert.match(uuid, UUID);
    assert.is((await status(sb, uuid)).state, 'running', 'running when run -d returns');
    // The shell creates the file before it writes the pid: wait for the whole line.
    const ready = join(out, 'ready');
    await waitFor('the detached app', () => (existsSync(ready) && /^\d+\n$/.test(readFileSync(ready, 'utf8'))) || undefined, STARTUP_MS);
    const stop = await sb.run(['stop', uuid]);
    assert.is(stop.exitCode, 0, String(stop.stderr));
    assert.is((await status(sb, uuid)).state, 'exited');
    assert.is((await sb.run(['rm', uuid])).exitCode, 0);
  });
}

t('--detach with --interactive is refused before a pod is written', async ({ sb }) => {
  const before = (await listPods(sb)).length;
  const r = await sb.run(['run', '--detach', '--interactive', DEFAULT_IMAGE, '--', 'true']);
  assert.is(r.exitCode, 254);
  assert.match(String(r.stderr), '--detach');
  assert.is((await listPods(sb)).length, before);
});

t.run();
