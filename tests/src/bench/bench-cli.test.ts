/** `podstage bench --quick` on fly and host: a valid JSON report with every variant (the CRI's through podstage cri), and nothing left behind. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { validateReport } from '@podstage/bench';
import { sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';

const t = suite<{ sb: Sandbox }>('bench', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

t('--quick on fly and host: every scenario in a schema-valid report and an HTML page, next to node, chroot, nspawn and runc', async ({ sb }) => {
  const file = join(sb.dir, 'report.json');
  const html = join(sb.dir, 'report.html');
  const r = await sb.run(['bench', '--quick', '--stage1s=fly,host', '--density=2', '--peers=', `--json=${file}`, `--html=${html}`]);
  assert.is(r.exitCode, 0, String(r.stderr));
  const report: unknown = JSON.parse(readFileSync(file, 'utf8'));
  validateReport(report);
  assert.equal(report.scenarios.map((s) => s.id), ['cold-start', 'ready-stop', 'memory', 'density', 'steady-state', 'cri']);
  for (const s of report.scenarios) {
    const ids = s.variants.map((v) => v.id);
    // The CRI runs mutable pods, which fly does not: it is listed as skipped there.
    const expected = s.id === 'cri' ? ['podstage-host'] : ['podstage-fly', 'podstage-host'];
    assert.ok(expected.every((id) => ids.includes(id)), `${s.id}: ${expected.join(' and ')} measured (${ids.join(', ')}; skipped ${JSON.stringify(s.skipped)})`);
    for (const v of s.variants) assert.is(v.failures, 0, `${s.id} ${v.id}: ${v.errors.join('; ')}`);
  }
  const cold = report.scenarios.find((s) => s.id === 'cold-start');
  assert.ok(cold, 'the cold-start scenario');
  assert.equal(cold.variants.map((v) => v.id).sort(), ['chroot', 'node', 'nspawn', 'podstage-fly', 'podstage-host', 'runc']);
  for (const v of cold.variants) {
    assert.is(v.failures, 0, v.id);
    assert.is(v.metrics.ms?.summary.runs, 2, v.id);
  }
  const host = cold.variants.find((v) => v.id === 'podstage-host');
  const toNode = host?.metrics.ms?.ratios.node;
  assert.ok(toNode && toNode.median > 1, 'a pod start costs more than node -e 0');
  assert.match(String(r.stdout), 'podstage (host)');
  const ready = report.scenarios.find((s) => s.id === 'ready-stop');
  for (const v of ready?.variants ?? []) {
    assert.is(v.failures, 0, `${v.id}: ${v.errors.join('; ')}`);
    assert.ok((v.metrics.ready?.summary.min ?? 0) > 0 && (v.metrics.stop?.summary.min ?? 0) > 0, v.id);
  }
  assert.equal(ready?.variants.map((v) => v.id).sort(), ['chroot', 'nspawn', 'podstage-fly', 'podstage-host', 'runc']);
  const cri = report.scenarios.find((s) => s.id === 'cri');
  assert.ok((cri?.variants[0]?.metrics.running?.summary.min ?? 0) > 0, 'a sandbox and its container ran through podstage cri');
  assert.ok(cri?.skipped.some((x) => x.id === 'podstage-fly'), 'fly is skipped, with its reason');
  const page = readFileSync(html, 'utf8');
  for (const id of ['host', ...report.scenarios.map((s) => `scenario-${s.id}`)]) assert.ok(page.includes(`<section id="${id}"`), `the HTML report's ${id} section`);
  assert.equal(await listPods(sb), [], "the bench's pods are removed");
});

t.run();
