/**
 * The runtime library as a front end other than the CLI uses it: the example
 * program prepares a pod, starts it in detach mode, waits for it, reads its
 * exit status and removes it, with the stage1 named by its directory.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, REPO, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';

const EXAMPLE = join(REPO, 'examples/dist/detached-pod.js');

for (const stage1 of ['stage1-host', 'stage1-runc']) {
  const t = suite<{ sb: Sandbox }>(`runtime example (detach mode): ${stage1}`, { sb: undefined as unknown as Sandbox });
  t.before(async (ctx) => {
    ctx.sb = await sandbox();
  });
  t.after((ctx) => ctx.sb.cleanup());

  t('prepare, start detached, wait, exit status, remove', async ({ sb }) => {
    const r = await execa(process.execPath, [EXAMPLE, `--dir=${sb.dir}`, `--stage1-path=${join(REPO, stage1)}`, DEFAULT_IMAGE, '--', 'sh', '-c', 'sleep 1; exit 3'], { reject: false });
    assert.is(r.exitCode, 0, String(r.stderr));
    const out = JSON.parse(String(r.stdout)) as { uuid: string; pid: number; exitCode: number };
    assert.is(out.exitCode, 3);
    assert.ok(out.pid > 1, 'the pod had a process of its own');
    assert.equal(await listPods(sb), [], 'the pod is removed');
    for (const h of readdirSync('/sys/fs/cgroup')) assert.not.ok(existsSync(join('/sys/fs/cgroup', h, 'podstage', out.uuid)), `${h} cgroup left`);
  });

  t.run();
}
