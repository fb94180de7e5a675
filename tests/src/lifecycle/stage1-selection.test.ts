/** Choosing a stage1: built-in by name, a directory by path or annotation, and clean refusals. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, lines, REPO, sandbox, STUB_STAGE1, type Sandbox } from '../helpers/podstage.js';
import { status } from '../helpers/pods.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

function stubRecord(uuid: string): Record<string, string> {
  const text = readFileSync(join(sb.dir, 'pods', 'run', uuid, 'stub-run.txt'), 'utf8');
  return Object.fromEntries(lines(text).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

test('a stage1 found by path gets the ABI: cwd = pod dir, flags, UUID, the pod lock fd', async () => {
  const uuidFile = join(sb.dir, 'stub-uuid');
  const r = await sb.run(['run', `--stage1-path=${STUB_STAGE1}`, `--uuid-file-save=${uuidFile}`, '--insecure-options=seccomp', DEFAULT_IMAGE, '--', 'true']);
  assert.is(r.exitCode, 42, "the stage1's exit code is run's");
  const uuid = readFileSync(uuidFile, 'utf8').trim();
  const rec = stubRecord(uuid);
  const podDir = join(sb.dir, 'pods', 'run', uuid);
  assert.is(rec.args, `--net=default --insecure-options=seccomp ${uuid}`);
  assert.is(rec.cwd, podDir);
  assert.is(rec.lock, podDir, 'the inherited fd is the locked pod directory');
  assert.is(rec.manifest, 'yes');
  const s = await status(sb, uuid);
  assert.is(s.state, 'exited');
  assert.is(s.stage1, 'stub');
  await sb.run(['gc']);
  assert.match(readFileSync(join(sb.dir, 'pods', 'stub-gc.log'), 'utf8'), `gc ${uuid} in ${join(sb.dir, 'pods', 'exited-garbage', uuid)}`);
});

test('the pod annotation podstage.io/stage1 (and rkt\'s override) choose the stage1', async () => {
  for (const key of ['podstage.io/stage1', 'rkt.alpha.kubernetes.io/stage1-name-override']) {
    const r = await sb.run(['run', `--annotation=${key}=${STUB_STAGE1}`, DEFAULT_IMAGE, '--', 'true']);
    assert.is(r.exitCode, 42, `${key}: ${String(r.stderr)}`);
  }
  const byName = await sb.run(['run', '--annotation=podstage.io/stage1=fly', DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 9']);
  assert.is(byName.exitCode, 9);
  const flagWins = await sb.run(['run', '--stage1-name=fly', `--annotation=podstage.io/stage1=${STUB_STAGE1}`, DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 8']);
  assert.is(flagWins.exitCode, 8);
});

test('stage1-fly by path behaves as the built-in', async () => {
  const r = await sb.run(['run', `--stage1-path=${join(REPO, 'stage1-fly')}`, DEFAULT_IMAGE, '--', 'sh', '-c', 'echo "$AC_APP_NAME"; exit 7']);
  assert.is(r.exitCode, 7, String(r.stderr));
  assert.is(r.stdout, 'default');
  const img = await sb.run(['run', `--stage1-image=${join(REPO, 'stage1-fly')}`, DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 6']);
  assert.is(img.exitCode, 6, String(img.stderr));
  const fly = await sb.run(['run', '--stage1-image=fly', DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 5']);
  assert.is(fly.exitCode, 5);
});

test('unknown, planned and broken stage1s are refused with a reason', async () => {
  const cases: [string[], string][] = [
    [['--stage1-name=warp'], '--stage1-name: no built-in stage1 named "warp"'],
    [['--stage1-path=/tmp'], '--stage1-path: /tmp is not a stage1 directory (no stage1.json)'],
    [['--stage1-name=fly', '--stage1-path=/tmp'], '--stage1-name and --stage1-path cannot be combined'],
    [['--annotation=podstage.io/stage1=warp'], 'annotation podstage.io/stage1: no built-in stage1 named "warp"'],
  ];
  for (const [flags, message] of cases) {
    const r = await sb.run(['run', ...flags, DEFAULT_IMAGE, '--', 'true']);
    assert.is(r.exitCode, 254, flags.join(' '));
    assert.match(String(r.stderr), message);
  }
  const pods = JSON.parse(String((await sb.run(['list', '--format=json'])).stdout)) as { state: string }[];
  assert.ok(pods.every((p) => p.state !== 'garbage' && p.state !== 'aborted-prepare'), 'refusals leave no pods behind');
});

test.run();
