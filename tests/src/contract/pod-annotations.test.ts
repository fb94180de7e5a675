/** Pod annotations of ABI 6: the host's namespaces and sysctls, as stage0 writes them and stage1s read them. */
import * as assert from 'uvu/assert';
import { appDevices, hostNamespaces, podSysctls } from '@podstage/contract';
import { test } from '../helpers/suite.js';

const sysctls = (value: string) => podSysctls([{ name: 'podstage.io/sysctls', value }]);
const fails = (f: () => unknown, message: string) => {
  try {
    f();
    assert.unreachable('accepted');
  } catch (e) {
    assert.match((e as Error).message, message);
  }
};

test('host-namespaces: pid, ipc, both, or an error naming the annotation', () => {
  assert.equal(hostNamespaces(undefined), { pid: false, ipc: false });
  assert.equal(hostNamespaces([{ name: 'podstage.io/host-namespaces', value: 'pid,ipc' }]), { pid: true, ipc: true });
  assert.equal(hostNamespaces([{ name: 'podstage.io/host-namespaces', value: 'ipc' }]), { pid: false, ipc: true });
  fails(() => hostNamespaces([{ name: 'podstage.io/host-namespaces', value: 'pid,net' }]), 'annotation podstage.io/host-namespaces: expected pid, ipc or pid,ipc');
});

test('sysctls: namespaced ones only (net.*, the IPC namespace\'s), names with dots or slashes, values on one line', () => {
  assert.equal(podSysctls(undefined), {});
  assert.equal(sysctls('{"net/ipv4/ip_local_port_range":"33000 60000","kernel.shm_rmid_forced":"1","fs.mqueue.msg_max":"20"}'),
    { 'net.ipv4.ip_local_port_range': '33000 60000', 'kernel.shm_rmid_forced': '1', 'fs.mqueue.msg_max': '20' });
  fails(() => sysctls('{"kernel.hostname":"x"}'), 'kernel.hostname is not a namespaced sysctl');
  fails(() => sysctls('{"vm.swappiness":"1"}'), 'it would change the host');
  fails(() => sysctls('{"net.core.somaxconn":"1\\n2"}'), 'net.core.somaxconn: expected a value on one line');
  fails(() => sysctls('{"../../etc":"1"}'), 'is not a sysctl name');
  fails(() => sysctls('[1]'), 'expected a JSON object');
});


test('devices: absolute paths, permissions some of r, w and m (all by default)', () => {
  const devices = (value: string) => appDevices([{ name: 'podstage.io/devices', value }], 'web');
  assert.equal(devices('[{"path":"/dev/fuse","hostPath":"/dev/fuse"}]'), [{ path: '/dev/fuse', hostPath: '/dev/fuse', permissions: 'rwm' }]);
  assert.equal(devices('[{"path":"/dev/x","hostPath":"/dev/fuse","permissions":"wr"}]')[0]?.permissions, 'wr');
  fails(() => devices('[{"path":"dev/x","hostPath":"/dev/fuse"}]'), 'app web: annotation podstage.io/devices: [0]: expected absolute path and hostPath');
  fails(() => devices('[{"path":"/dev/x","hostPath":"/dev/fuse","permissions":"rx"}]'), '[0].permissions: expected some of r, w and m');
  fails(() => devices('[{"path":"/dev/x","hostPath":"/dev/fuse","permissions":"rr"}]'), '[0].permissions');
});

test.run();
