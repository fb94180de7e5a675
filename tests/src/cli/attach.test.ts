/**
 * `podstage attach`: a running app's output from now on and, for an app given a
 * stdin (podstage.io/stdin), its input; the app's exit code once it ends.
 */
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { suite } from '../helpers/suite.js';

const t = suite<{ sb: Sandbox }>('attach', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

for (const stage1 of ['runc', 'host', 'kvm']) {
  t(`${stage1}: attach feeds a stdin-once app and returns its exit code`, async ({ sb }) => {
    const r = await sb.run(['run', '-d', `--stage1-name=${stage1}`, DEFAULT_IMAGE, '--annotation=podstage.io/stdin=once', '--',
      'sh', '-c', 'read a; echo got-$a; echo err-$a >&2; cat; echo eof; exit 5']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const uuid = String(r.stdout).trim();
    const attached = await sb.run(['attach', uuid], { stdin: 'pipe', input: 'x\nthe rest\n' });
    assert.is(attached.exitCode, 5, String(attached.stderr));
    assert.is(String(attached.stdout), 'got-x\nthe rest\neof');
    assert.is(String(attached.stderr), 'err-x');
  });
}

t('fly (ABI 1) refuses an app with a stdin before anything is written', async ({ sb }) => {
  const r = await sb.run(['run', '--stage1-name=fly', DEFAULT_IMAGE, '--annotation=podstage.io/stdin=once', '--', 'true']);
  assert.is(r.exitCode, 254);
  assert.match(String(r.stderr), 'stage1 fly (ABI 1) cannot give an app a stdin to attach to (ABI 6)');
});

t.run();
