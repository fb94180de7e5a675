/** `podstage bench --scenarios=steady-state` on fly and host: every figure measured, inside the pods, next to the host's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { validateReport } from '@podstage/bench';
import { sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';

const t = suite<{ sb: Sandbox }>('bench steady-state', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

const METRICS = ['cpu', 'syscall', 'rootfs-write', 'volume-write'];

t('--quick on fly and host: CPU, syscalls and file I/O in the pod, of the same order as on the host', async ({ sb }) => {
  const file = join(sb.dir, 'report.json');
  const r = await sb.run(['bench', '--quick', '--stage1s=fly,host', '--scenarios=steady-state', '--peers=', '--runs=2', `--json=${file}`]);
  assert.is(r.exitCode, 0, String(r.stderr));
  const report: unknown = JSON.parse(readFileSync(file, 'utf8'));
  validateReport(report);
  const steady = report.scenarios.find((s) => s.id === 'steady-state');
  assert.ok(steady, 'the steady-state scenario');
  assert.equal(steady.metrics.map((m) => m.id), METRICS);
  for (const id of ['podstage-fly', 'podstage-host', 'host']) {
    const v = steady.variants.find((x) => x.id === id);
    assert.ok(v, `${id} was measured`);
    assert.is(v.failures, 0, `${id}: ${v.errors.join('; ')}`);
    for (const m of METRICS) {
      const result = v.metrics[m];
      assert.is(result?.summary.runs, 2, `${id} ${m}`);
      assert.ok((result?.summary.min ?? 0) > 0, `${id} ${m}: ${result?.summary.min}`);
    }
  }
  for (const id of ['podstage-fly', 'podstage-host']) {
    const cpu = steady.variants.find((x) => x.id === id)?.metrics.cpu?.ratios.host?.median ?? 0;
    assert.ok(cpu > 0.5 && cpu < 3, `${id}: the CPU loop took ${cpu}× the host's`);
    // The pod's root is its own overlay, not the host directory the `host` variant writes to.
    assert.ok(steady.notes.some((n) => n.includes(`${id} rootfs overlay`)), `${id}'s rootfs file system in ${steady.notes.join(' | ')}`);
  }
  assert.equal(await listPods(sb), [], "the bench's pods are removed");
});

t.run();
