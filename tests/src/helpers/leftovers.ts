/** What a removed pod must not leave on the host: cgroups, mounts, OCI runtime containers, processes (conmon included). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import type { Sandbox } from './podstage.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

export async function assertNothingLeft(sb: Sandbox, uuids: readonly string[]): Promise<void> {
  for (const uuid of uuids) {
    for (const h of readdirSync(CGROUP_ROOT)) assert.not.ok(existsSync(join(CGROUP_ROOT, h, 'podstage', uuid)), `${h} cgroup of ${uuid}`);
  }
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(sb.dir), 'no mount under the data dir');
  for (const runtime of ['runc', 'crun']) {
    if (!existsSync(`/usr/bin/${runtime}`)) continue;
    const listed = String((await execa(runtime, ['list', '--quiet'], { reject: false })).stdout);
    for (const uuid of uuids) assert.not.ok(listed.includes(uuid), `${runtime} container of ${uuid}`);
  }
  const processes = String((await execa('ps', ['-eo', 'args='])).stdout).split('\n');
  const left = processes.filter((p) => p.includes(sb.dir) || uuids.some((u) => p.includes(u)));
  assert.equal(left, [], 'no process of the pods (conmon names the pod directory)');
}
