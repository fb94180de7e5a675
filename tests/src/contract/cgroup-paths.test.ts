/** Where a pod's cgroups are (ABI.md, "The pod's cgroups"): the default layout, and under a cgroup parent (ABI 9). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { appCgroup, appCgroupOf, checkCgroupParent, podCgroup, podCgroupOf, writePodOptions } from '@podstage/contract';
import { test } from '../helpers/suite.js';

const UUID = '8c3b7a52-2f0e-4f6e-9a59-0c1d2e3f4a5b';

test('without a parent the pod is podstage/<uuid>; under one, <parent>/podstage-<uuid>; apps below either', () => {
  assert.is(podCgroup(UUID), `podstage/${UUID}`);
  assert.is(appCgroup(UUID, 'web'), `podstage/${UUID}/apps/web`);
  assert.is(podCgroup(UUID, '/kubepods/burstable/pod1234'), `kubepods/burstable/pod1234/podstage-${UUID}`);
  assert.is(appCgroup(UUID, 'web', '/kubepods//pod1234/'), `kubepods/pod1234/podstage-${UUID}/apps/web`);
});

test('a cgroup parent is an absolute cgroupfs path: no systemd slice, no way out of the hierarchy, not inside podstage/', () => {
  assert.is(checkCgroupParent('/kubepods/besteffort/pod0b1c-2d3e_4f:x@y.z'), 'kubepods/besteffort/pod0b1c-2d3e_4f:x@y.z');
  const refused: [string, RegExp][] = [
    ['kubepods-burstable-pod1234.slice', /^--cgroup-parent: "kubepods-burstable-pod1234.slice" is a systemd slice/],
    ['kubepods/pod1', /^--cgroup-parent: expected an absolute cgroup path/],
    ['/', /expected an absolute cgroup path/],
    ['/kubepods/../../etc', /expected an absolute cgroup path/],
    ['/kubepods/./x', /expected an absolute cgroup path/],
    ['/kube pods', /expected an absolute cgroup path/],
    ['/kubepods\n/x', /expected an absolute cgroup path/],
    ['/podstage/8c3b7a52', /is inside podstage's own pod cgroups/],
  ];
  for (const [value, message] of refused) {
    assert.throws(() => checkCgroupParent(value, '--cgroup-parent'), (e: Error & { code?: string }) => message.test(e.message) && e.code === 'ERR_PODSTAGE_USAGE', value);
  }
  assert.throws(() => podCgroup(UUID, '/a/../..'), /expected an absolute cgroup path/, 'a parent read back is checked again before it names a directory');
});

test("a pod's cgroup comes from its options.json; a pod without one (its prepare died) has the default layout", () => {
  const dir = mkdtempSync(join(tmpdir(), 'podstage-cgroup-paths-'));
  try {
    const podDir = join(dir, UUID);
    mkdirSync(podDir);
    assert.is(podCgroupOf(podDir), `podstage/${UUID}`);
    writePodOptions(podDir, { net: 'none', insecureOptions: [], mutable: false, cgroupParent: '/kubepods/pod1' });
    assert.is(podCgroupOf(podDir), `kubepods/pod1/podstage-${UUID}`);
    assert.is(appCgroupOf(podDir, 'db'), `kubepods/pod1/podstage-${UUID}/apps/db`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
