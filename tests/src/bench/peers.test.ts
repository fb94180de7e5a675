/**
 * `podstage bench --peers=podman`: podman is measured when it is on PATH (with
 * no failed run, and the user's own podman store left as it was), else listed
 * as skipped with the install hint; ctr, not asked for, is neither measured nor listed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { validateReport } from '@podstage/bench';
import { sandbox, type Sandbox } from '../helpers/podstage.js';
import { suite } from '../helpers/suite.js';

const t = suite<{ sb: Sandbox }>('bench peers', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

const podmanInstalled = spawnSync('sh', ['-c', 'command -v podman'], { stdio: 'ignore' }).status === 0;
/** The images of the user's own podman store (the bench must use one of its own). */
const userPodmanImages = () => spawnSync('podman', ['images', '--quiet', '--no-trunc'], { encoding: 'utf8' }).stdout;

t('--peers=podman: podman measured without failures where installed, else skipped with the install hint; ctr not listed', async ({ sb }) => {
  const file = join(sb.dir, 'report.json');
  const imagesBefore = podmanInstalled ? userPodmanImages() : '';
  const r = await sb.run(['bench', '--stage1s=fly', '--scenarios=cold-start', '--peers=podman', '--runs=2', '--warmup=0', `--json=${file}`]);
  assert.is(r.exitCode, 0, String(r.stderr));
  const report: unknown = JSON.parse(readFileSync(file, 'utf8'));
  validateReport(report);
  const cold = report.scenarios.find((s) => s.id === 'cold-start');
  assert.ok(cold, 'the cold-start scenario');
  const podman = cold.variants.find((v) => v.id === 'podman');
  const skipped = cold.skipped.filter((s) => s.id === 'podman');
  if (podmanInstalled) {
    assert.ok(podman, `podman is measured (skipped: ${JSON.stringify(skipped)})`);
    assert.is(podman.kind, 'peer');
    assert.is(podman.failures, 0, podman.errors.join('; '));
    assert.is(podman.metrics.ms?.summary.runs, 2);
    assert.ok(cold.variants.find((v) => v.id === 'podstage-fly')?.metrics.ms?.ratios.podman, 'podstage is compared with podman');
    assert.equal(skipped, []);
    assert.is(userPodmanImages(), imagesBefore, "the user's podman images are as they were");
  } else {
    assert.is(podman, undefined);
    assert.equal(skipped, [{ id: 'podman', reason: 'podman is not installed (scripts/setup.sh --peers)' }]);
  }
  const ids = [...cold.variants.map((v) => v.id), ...cold.skipped.map((s) => s.id)];
  assert.not.ok(ids.includes('ctr'), 'ctr was not asked for');
});

const ctrInstalled = spawnSync('sh', ['-c', 'command -v ctr && command -v containerd'], { stdio: 'ignore' }).status === 0;
const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';

t("--peers=ctr --scenarios=cri: containerd's CRI measured where installed (the bench's own daemon when none runs, leaving nothing), else skipped with the install hint", async ({ sb }) => {
  const file = join(sb.dir, 'report.json');
  const userDaemon = existsSync(CONTAINERD_SOCKET);
  const runDirBefore = existsSync('/run/containerd');
  const r = await sb.run(['bench', '--stage1s=runc', '--scenarios=cri', '--peers=ctr', '--runs=2', '--warmup=0', `--json=${file}`]);
  assert.is(r.exitCode, 0, String(r.stderr));
  const report: unknown = JSON.parse(readFileSync(file, 'utf8'));
  validateReport(report);
  const cri = report.scenarios.find((s) => s.id === 'cri');
  assert.ok(cri, 'the cri scenario');
  const containerd = cri.variants.find((v) => v.id === 'containerd-cri');
  if (ctrInstalled) {
    assert.ok(containerd, `containerd's CRI is measured (skipped: ${JSON.stringify(cri.skipped)})`);
    assert.is(containerd.failures, 0, containerd.errors.join('; '));
    assert.is(containerd.metrics.running?.summary.runs, 2);
    if (!userDaemon) {
      assert.match(containerd.label, "the bench's own daemon");
      assert.is(existsSync('/run/containerd'), runDirBefore, '/run/containerd is as it was');
    }
    assert.ok(cri.variants.find((v) => v.id === 'podstage-runc')?.metrics.running?.ratios['containerd-cri'], 'podstage is compared with containerd');
    assert.equal(spawnSync('pgrep', ['-f', 'containerd --config .*podstage-bench-.*/containerd/config.toml']).status, 1, 'no containerd of the bench is left');
  } else {
    assert.is(containerd, undefined);
    assert.ok(cri.skipped.some((s) => s.id === 'ctr' && s.reason === 'ctr is not installed (scripts/setup.sh --peers)'), JSON.stringify(cri.skipped));
  }
});

t.run();
