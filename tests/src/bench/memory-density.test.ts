/** `podstage bench --scenarios=memory,density` on fly, host and runc: what a pod adds to the host, N pods at once, nothing left behind. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { type ScenarioResult, validateReport, type VariantResult } from '@podstage/bench';
import { sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';

const t = suite<{ sb: Sandbox }>('bench memory and density', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

const names = (v: VariantResult) => (v.processes ?? []).map((p) => p.name);
const median = (v: VariantResult | undefined, metric: string) => v?.metrics[metric]?.summary.median;

function variants(s: ScenarioResult | undefined): Map<string, VariantResult> {
  assert.ok(s, 'the scenario is in the report');
  for (const v of s.variants) assert.is(v.failures, 0, `${s.id} ${v.id}: ${v.errors.join('; ')}`);
  return new Map(s.variants.map((v) => [v.id, v]));
}

t('--quick, density 3: each stage1\'s own processes without the app, 3 pods ready at once, no pod left', async ({ sb }) => {
  const file = join(sb.dir, 'report.json');
  const r = await sb.run(['bench', '--quick', '--stage1s=fly,host,runc', '--scenarios=memory,density', '--density=3', '--peers=', `--json=${file}`]);
  assert.is(r.exitCode, 0, String(r.stderr));
  const report: unknown = JSON.parse(readFileSync(file, 'utf8'));
  validateReport(report);

  const memory = variants(report.scenarios.find((s) => s.id === 'memory'));
  assert.equal([...memory.keys()].sort(), ['nspawn', 'podstage-fly', 'podstage-host', 'podstage-runc', 'runc']);
  for (const v of memory.values()) {
    assert.ok(Array.isArray(v.processes), `${v.id} lists its processes`);
    assert.not.ok(names(v).includes('benchload'), `${v.id}: the app is not the pod's cost: ${names(v).join(', ')}`);
    const pss = (v.processes ?? []).reduce((n, p) => n + p.pssKiB, 0) / 1024;
    assert.ok(Math.abs((median(v, 'pss') ?? -1) - pss) < 0.01, `${v.id}: pss is the sum of its processes'`);
  }
  const host = memory.get('podstage-host') as VariantResult;
  const runc = memory.get('podstage-runc') as VariantResult;
  // host: a conmon per container, nspawn and the pod's init (busybox), nsenter for the app; runc: a conmon per container and the sandbox's init.
  assert.equal([...new Set(names(host))].sort(), ['busybox', 'conmon', 'nsenter', 'systemd-nspawn'], `host: ${names(host).join(', ')}`);
  assert.equal([...new Set(names(runc))].sort(), ['busybox', 'conmon'], `runc: ${names(runc).join(', ')}`);
  for (const v of [host, runc]) {
    assert.ok((median(v, 'pss') ?? 0) > 0 && (median(v, 'rss') ?? 0) >= (median(v, 'pss') ?? 0), `${v.id} pss and rss`);
    assert.ok((median(v, 'cgroup') ?? 0) > 0, `${v.id} has a pod cgroup`);
  }
  for (const v of [host, runc]) assert.is(median(v, 'node'), 0, `${v.id}: no resident Node process`);
  // fly's `podstage run` becomes the app itself: nothing else stays on the host.
  const fly = memory.get('podstage-fly') as VariantResult;
  assert.equal(fly.processes, []);
  assert.is(median(fly, 'pss'), 0);
  assert.is(median(fly, 'node'), 0);
  assert.is(median(fly, 'cgroup'), undefined, 'fly makes no pod cgroup');
  assert.equal(names(memory.get('nspawn') as VariantResult), ['systemd-nspawn']);
  assert.equal(names(memory.get('runc') as VariantResult), ['runc']);
  assert.is(median(memory.get('runc'), 'node'), 0);

  const density = report.scenarios.find((s) => s.id === 'density');
  const dense = variants(density);
  assert.equal([...dense.keys()].sort(), ['podstage-fly', 'podstage-host', 'podstage-runc']);
  assert.equal(density?.skipped, []);
  for (const v of dense.values()) {
    assert.is(median(v, 'failures@3'), 0, `${v.id}: all 3 pods ready`);
    assert.ok((median(v, 'total@3') ?? 0) > 0, `${v.id} total`);
    assert.is(v.metrics['total@3']?.summary.runs, 1, `${v.id}: one run`);
  }
  for (const id of ['podstage-host', 'podstage-runc']) assert.ok((median(dense.get(id), 'pss-per-pod@3') ?? 0) > 0, `${id} pss per pod`);
  for (const id of ['podstage-host', 'podstage-runc']) assert.is(median(dense.get(id), 'node@3'), 0, `${id}: no Node process`);
  assert.is(median(dense.get('podstage-fly'), 'pss-per-pod@3'), 0);

  assert.equal(await listPods(sb), [], "the bench's pods are removed");
});

t.run();
