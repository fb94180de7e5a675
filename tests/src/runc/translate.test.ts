/** stage1-runc's pure translation: pod → OCI runtime-spec configs, checked field by field and against the official schema. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import {
  DEFAULT_CAPABILITIES, effectiveCapabilities, isPodstageError, type EffectiveIsolators, type PodManifest, type Stage1CheckOptions,
} from '@podstage/contract';
import { MASKED_PATHS, READONLY_PATHS, type AppPlan, type VolumeMount } from '@podstage/stage1-common';
import {
  appConfig, checkRuncSupport, CRUN_SECCOMP_BPF, holderScript, holdsNamespacesOnly, SANDBOX_BUSYBOX, sandboxConfig,
  type AppContext, type OciSpec, type SandboxContext,
} from '@podstage/stage1-runc/translate';
import { validateOciConfig } from '../helpers/oci-runtime-schema.js';
import { buildProfile, decodeInstructions, profileInstructions } from '@podstage/seccomp';

const { EPERM, EACCES } = constants.errno;
const UUID = '0f2c7e4a-1b3d-4c5e-8f90-a1b2c3d4e5f6';
const POD_DIR = `/var/lib/podstage/pods/run/${UUID}`;
const FIXTURE = fileURLToPath(new URL('../../fixtures/runc/app-config.json', import.meta.url));

interface PlanInput {
  name?: string;
  exec?: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  isolators?: EffectiveIsolators;
  capabilities?: AppPlan['capabilities'];
  readOnlyRootFS?: boolean;
  mounts?: VolumeMount[];
}

/** An AppPlan as planApp would make it, without reading an image. */
function plan(o: PlanInput = {}): AppPlan {
  const name = o.name ?? 'web';
  const appDir = `${POD_DIR}/apps/${name}`;
  const exec = o.exec ?? ['/bin/httpd', '-f'];
  return {
    name,
    app: { name, image: { id: `sha256:${'a'.repeat(64)}` }, app: { exec, user: String(o.uid ?? 0), group: String(o.gid ?? 0) } },
    rootfs: `${appDir}/rootfs`,
    lower: '/var/lib/podstage/images/trees/abc',
    upper: `${appDir}/upper`,
    work: `${appDir}/work`,
    exec,
    env: o.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', AC_APP_NAME: name },
    cwd: o.cwd ?? '/',
    identity: { uid: o.uid ?? 0, gid: o.gid ?? 0, groups: o.groups ?? [], home: '/root' },
    capabilities: o.capabilities ?? [...DEFAULT_CAPABILITIES],
    isolators: o.isolators ?? {},
    readOnlyRootFS: o.readOnlyRootFS ?? false,
    maskPaths: true,
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
    mounts: o.mounts ?? [],
  };
}

function ctx(o: Partial<AppContext> = {}): AppContext {
  return { uuid: UUID, sandboxPid: 4242, sharePid: false, shm: '/pod/stage1/shm', insecureOptions: [], minOomScoreAdj: 0, maxOpenFiles: 1_048_576, ...o };
}

function sandboxCtx(o: Partial<SandboxContext> = {}): SandboxContext {
  return { uuid: UUID, rootfs: `${POD_DIR}/stage1/sandbox/rootfs`, net: 'none', insecureOptions: [], ...o };
}

/** Every config a test makes passes the official schema. */
function valid(config: OciSpec): OciSpec {
  const errors = validateOciConfig(config);
  assert.equal(errors, [], `config for ${config.annotations['io.podstage.app'] ?? 'the sandbox'} fails the OCI runtime-spec schema:\n${errors.join('\n')}`);
  return config;
}

const mount = (c: OciSpec, destination: string) => c.mounts.find((m) => m.destination === destination);

// ------------------------------------------------------------------ the schema helper itself

test('schema helper: rejects what the official schema rejects', () => {
  const errors = validateOciConfig({ ociVersion: 1, process: { cwd: '/', args: 'sh' }, linux: { namespaces: [{ type: 'bogus' }] } });
  assert.ok(errors.some((e) => e.startsWith('/ociVersion:')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/process/args:')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/linux/namespaces/0')), errors.join('\n'));
});

// ------------------------------------------------------------------ sandbox

test('sandbox, --net=none: own namespaces incl. network, nothing privileged', () => {
  const c = valid(sandboxConfig(sandboxCtx()));
  assert.is(c.ociVersion, '1.0.2');
  assert.equal(c.root, { path: `${POD_DIR}/stage1/sandbox/rootfs`, readonly: true });
  assert.is(c.process.args[0], SANDBOX_BUSYBOX);
  assert.ok(c.process.args.join(' ').includes('sleep 2147483647'));
  assert.is(c.hostname, `podstage-${UUID}`);
  assert.equal(c.linux.namespaces.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  assert.ok(c.linux.namespaces.every((n) => n.path === undefined));
  assert.equal(c.process.capabilities, { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] });
  assert.is(c.process.noNewPrivileges, true);
  assert.equal(c.process.user, { uid: 0, gid: 0 });
  assert.is(c.linux.cgroupsPath, `/podstage/${UUID}/sandbox`);
  assert.equal(c.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys']);
  assert.ok(mount(c, '/sys')?.options?.includes('ro'));
  assert.is(c.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(c.linux.seccomp?.defaultErrnoRet, EPERM);
  assert.equal(c.annotations, { 'io.podstage.pod': UUID });
});

test('a sandbox only holds namespaces unless its apps share its pid namespace (and it is not the host\'s)', () => {
  assert.is(holdsNamespacesOnly(false, undefined), true);
  assert.is(holdsNamespacesOnly(true, undefined), false, 'a shared pid namespace needs the pod init');
  assert.is(holdsNamespacesOnly(true, { pid: true, ipc: false }), true, 'hostPID: the apps share the host\'s');
});

test('namespace holder: the namespaces and set-up runc gives its sandbox, then a sleep with no capability', () => {
  const script = holderScript(sandboxCtx({ hostname: 'pod-a', sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } }));
  // The words sh gets after `exec`, as the shell reads them.
  const words = spawnSync('sh', ['-c', script.replace(/^exec /, 'printf "%s\\n" ')], { encoding: 'utf8' }).stdout.split('\n').slice(0, -1);
  assert.equal(words, ['/usr/bin/unshare', '--uts', '--ipc', '--net', '--', '/bin/sh', '-c', [
    '/bin/busybox hostname \'pod-a\'', '/bin/busybox ip link set lo up',
    "printf '%s\\n' '0' > '/proc/sys/net/ipv4/ip_unprivileged_port_start'", 'echo ready >&3',
    'exec /usr/bin/setpriv --inh-caps=-all --bounding-set=-all --no-new-privs /bin/busybox sleep 2147483647 3>&-',
  ].join(' && ')]);
  // A CNI network namespace is joined; hostIPC keeps the host's IPC namespace; --net=host the host's network.
  assert.match(holderScript(sandboxCtx({ netns: '/run/netns/pod', host: { ipc: true, pid: false } })), /^exec '\/usr\/bin\/nsenter' '--net=\/run\/netns\/pod' '\/usr\/bin\/unshare' '--uts' '--' /);
  assert.match(holderScript(sandboxCtx({ net: 'host' })), /^exec '\/usr\/bin\/unshare' '--uts' '--ipc' '--' /);
  assert.not.match(holderScript(sandboxCtx({ net: 'host' })), 'ip link');
});

test('sandbox, --net=host: no network namespace (the host one is kept)', () => {
  const c = valid(sandboxConfig(sandboxCtx({ net: 'host' })));
  assert.not.ok(c.linux.namespaces.some((n) => n.type === 'network'));
  assert.ok(c.linux.namespaces.some((n) => n.type === 'uts'));
});

test('sandbox honours --insecure-options=seccomp,paths', () => {
  const c = valid(sandboxConfig(sandboxCtx({ insecureOptions: ['seccomp', 'paths'] })));
  assert.is(c.linux.seccomp, undefined);
  assert.is(c.linux.maskedPaths, undefined);
  assert.is(c.linux.readonlyPaths, undefined);
});

// ------------------------------------------------------------------ apps

test("under a cgroup parent (the kubelet's pod cgroup) the sandbox's and the apps' cgroups are below <parent>/podstage-<uuid>", () => {
  assert.is(valid(sandboxConfig(sandboxCtx({ cgroupParent: '/kubepods/pod1' }))).linux.cgroupsPath, `/kubepods/pod1/podstage-${UUID}/sandbox`);
  assert.is(valid(appConfig(plan(), ctx({ cgroupParent: '/kubepods/pod1' }))).linux.cgroupsPath, `/kubepods/pod1/podstage-${UUID}/apps/web`);
});

test('plain app: process, root, joined namespaces, defaults', () => {
  const c = valid(appConfig(plan(), ctx()));
  assert.equal(c.process.args, ['/bin/httpd', '-f']);
  assert.equal(c.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'AC_APP_NAME=web']);
  assert.is(c.process.cwd, '/');
  assert.equal(c.process.user, { uid: 0, gid: 0 });
  const caps = [...DEFAULT_CAPABILITIES];
  assert.equal(c.process.capabilities, { bounding: caps, effective: caps, inheritable: [], permitted: caps, ambient: [] });
  assert.is(c.process.noNewPrivileges, false);
  assert.equal(c.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1_048_576, soft: 1_048_576 }]);
  assert.is(c.process.oomScoreAdj, undefined);
  assert.equal(c.root, { path: `${POD_DIR}/apps/web/rootfs`, readonly: false });
  assert.is(c.hostname, undefined, 'the UTS namespace is joined: setting a hostname would rename the pod');
  assert.equal(c.linux.namespaces, [
    { type: 'pid' },
    { type: 'network', path: '/proc/4242/ns/net' },
    { type: 'ipc', path: '/proc/4242/ns/ipc' },
    { type: 'uts', path: '/proc/4242/ns/uts' },
    { type: 'mount' },
    { type: 'cgroup' },
  ]);
  assert.is(c.linux.cgroupsPath, `/podstage/${UUID}/apps/web`);
  assert.equal(c.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup', '/tmp']);
  assert.equal(mount(c, '/sys/fs/cgroup'), { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  assert.is(mount(c, '/tmp')?.type, 'tmpfs');
  assert.equal(c.linux.resources.devices[0], { allow: false, access: 'rwm' });
  for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2]]) {
    assert.ok(c.linux.resources.devices.some((d) => d.allow && d.type === 'c' && d.major === major && d.minor === minor), `device ${major}:${minor} allowed`);
  }
  assert.ok(c.linux.resources.devices.some((d) => d.allow && d.type === 'c' && d.major === 136 && d.minor === undefined), '/dev/pts/* allowed');
  assert.is(c.linux.resources.memory, undefined);
  assert.is(c.linux.resources.cpu, undefined);
  assert.equal(c.linux.maskedPaths, [...MASKED_PATHS]);
  assert.ok(c.linux.maskedPaths?.includes('/proc/kcore') && c.linux.maskedPaths.includes('/sys/firmware'));
  assert.equal(c.linux.readonlyPaths, [...READONLY_PATHS]);
  assert.ok(c.linux.readonlyPaths?.includes('/proc/sys'));
  assert.is(c.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.ok(c.linux.seccomp?.syscalls[0]?.names.includes('read'));
  assert.not.ok(c.linux.seccomp?.syscalls[0]?.names.includes('kexec_load'));
  assert.equal(c.annotations, { 'io.podstage.pod': UUID, 'io.podstage.app': 'web' });
});

test("the app's own masked and read-only paths (the CRI's) replace runc's", () => {
  const c = valid(appConfig({ ...plan(), maskedPaths: ['/bin/ls'], readonlyPaths: ['/tmp'] }, ctx()));
  assert.equal([c.linux.maskedPaths, c.linux.readonlyPaths], [['/bin/ls'], ['/tmp']]);
});

test('memory and cpu isolators become linux.resources', () => {
  const c = valid(appConfig(plan({ isolators: { memory: { limit: '128Mi' }, cpu: { request: '250m', limit: '500m' } } }), ctx()));
  assert.equal(c.linux.resources.memory, { limit: 128 * 2 ** 20 });
  assert.equal(c.linux.resources.cpu, { shares: 256, quota: 50_000, period: 100_000 });
});

test('capabilities retain-set and remove-set', () => {
  const retained = effectiveCapabilities(['CAP_NET_ADMIN', 'CAP_KILL'], undefined);
  const r = valid(appConfig(plan({ capabilities: retained, isolators: { capsRetain: { set: ['CAP_NET_ADMIN', 'CAP_KILL'] } } }), ctx()));
  assert.equal(r.process.capabilities.bounding, ['CAP_NET_ADMIN', 'CAP_KILL']);
  assert.equal(r.process.capabilities.effective, ['CAP_NET_ADMIN', 'CAP_KILL']);
  assert.equal(r.process.capabilities.permitted, ['CAP_NET_ADMIN', 'CAP_KILL']);
  assert.equal(r.process.capabilities.inheritable, []);
  assert.equal(r.process.capabilities.ambient, []);

  const removed = effectiveCapabilities(undefined, ['CAP_NET_RAW', 'CAP_MKNOD']);
  const d = valid(appConfig(plan({ capabilities: removed, isolators: { capsRemove: { set: ['CAP_NET_RAW', 'CAP_MKNOD'] } } }), ctx()));
  assert.not.ok(d.process.capabilities.bounding.includes('CAP_NET_RAW'));
  assert.not.ok(d.process.capabilities.bounding.includes('CAP_MKNOD'));
  assert.ok(d.process.capabilities.bounding.includes('CAP_CHOWN'));
});

test('seccomp remove-set with an errno', () => {
  const c = valid(appConfig(plan({ isolators: { seccompRemove: { set: ['mkdir', 'mkdirat'], errno: 'EACCES' } } }), ctx()));
  const s = c.linux.seccomp;
  assert.is(s?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.is(s?.defaultErrnoRet, EACCES);
  assert.equal(s?.syscalls.map((x) => x.action), ['SCMP_ACT_ALLOW']);
  assert.not.ok(s?.syscalls[0]?.names.includes('mkdir'));
  assert.not.ok(s?.syscalls[0]?.names.includes('mkdirat'));
  assert.ok(s?.syscalls[0]?.names.includes('open'));
  assert.ok(s?.architectures.includes('SCMP_ARCH_X86_64'));
});

test('crun gets the filter compiled by podstage beside linux.seccomp; runc and an unconfined app get none', () => {
  const iso = { seccompRemove: { set: ['mkdir', 'mkdirat'], errno: 'EACCES' } };
  const c = valid(appConfig(plan({ isolators: iso }), ctx({ compiledSeccomp: true })));
  const bpf = c.annotations[CRUN_SECCOMP_BPF];
  assert.ok(bpf !== undefined && /^[A-Za-z0-9+/]+=*$/.test(bpf), 'base64');
  assert.equal(decodeInstructions(Buffer.from(bpf, 'base64')), profileInstructions(buildProfile(iso, { disabled: false })!));
  assert.is(c.linux.seccomp?.defaultErrnoRet, EACCES, 'linux.seccomp stays, for the record');
  assert.is(valid(appConfig(plan({ isolators: iso }), ctx())).annotations[CRUN_SECCOMP_BPF], undefined);
  assert.is(valid(appConfig(plan(), ctx({ compiledSeccomp: true, insecureOptions: ['seccomp'] }))).annotations[CRUN_SECCOMP_BPF], undefined);
  const sandbox = valid(sandboxConfig(sandboxCtx({ compiledSeccomp: true })));
  assert.equal(decodeInstructions(Buffer.from(sandbox.annotations[CRUN_SECCOMP_BPF]!, 'base64')), profileInstructions(buildProfile({}, { disabled: false })!));
});

test('no-new-privileges isolator', () => {
  const c = valid(appConfig(plan({ isolators: { noNewPrivileges: true } }), ctx()));
  assert.is(c.process.noNewPrivileges, true);
});

test('read-only rootfs', () => {
  const c = valid(appConfig(plan({ readOnlyRootFS: true }), ctx()));
  assert.equal(c.root, { path: `${POD_DIR}/apps/web/rootfs`, readonly: true });
});

test('a read-only host volume and an empty volume become bind mounts after the system mounts', () => {
  const c = valid(appConfig(plan({
    mounts: [
      { source: '/srv/www', target: '/var/www', readOnly: true, recursive: true },
      { source: `${POD_DIR}/volumes/scratch`, target: '/scratch', readOnly: false, recursive: false },
    ],
  }), ctx()));
  assert.equal(mount(c, '/var/www'), { destination: '/var/www', type: 'bind', source: '/srv/www', options: ['rbind', 'rprivate', 'ro'] });
  assert.equal(mount(c, '/scratch'), { destination: '/scratch', type: 'bind', source: `${POD_DIR}/volumes/scratch`, options: ['bind', 'rprivate'] });
  assert.equal(c.mounts.slice(-2).map((m) => m.destination), ['/var/www', '/scratch']);
  assert.ok(mount(c, '/tmp'), 'tmpfs /tmp stays when no volume covers it');
});

test('a volume on /tmp replaces the tmpfs', () => {
  const c = valid(appConfig(plan({ mounts: [{ source: `${POD_DIR}/volumes/tmp`, target: '/tmp', readOnly: false, recursive: true }] }), ctx()));
  assert.equal(c.mounts.filter((m) => m.destination === '/tmp').map((m) => m.type), ['bind']);
});

test('non-root user with supplementary groups', () => {
  const c = valid(appConfig(plan({ uid: 1000, gid: 1000, groups: [10, 27] }), ctx()));
  assert.equal(c.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 27] });
});

test('shared pid namespace is joined from the sandbox', () => {
  const c = valid(appConfig(plan(), ctx({ sharePid: true, sandboxPid: 77 })));
  assert.equal(c.linux.namespaces.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/77/ns/pid' });
});

test('--insecure-options=seccomp,paths: no filter, nothing masked', () => {
  const c = valid(appConfig(plan(), ctx({ insecureOptions: ['seccomp', 'paths'] })));
  assert.is(c.linux.seccomp, undefined);
  assert.is(c.linux.maskedPaths, undefined);
  assert.is(c.linux.readonlyPaths, undefined);
  assert.ok(mount(c, '/sys')?.options?.includes('ro'), '/sys stays read-only');
});

test('RLIMIT_NOFILE never above what the runtime may hand out; absent when unknown', () => {
  const low = valid(appConfig(plan(), ctx({ maxOpenFiles: 20_000 })));
  assert.equal(low.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20_000, soft: 20_000 }]);
  const { maxOpenFiles: _unused, ...noLimit } = ctx();
  const inherit = valid(appConfig(plan(), noLimit));
  assert.is(inherit.process.rlimits, undefined);
});

test('oom-score-adj: set when asked and not below the runtime’s own', () => {
  assert.is(valid(appConfig(plan({ isolators: { oomScoreAdj: 500 } }), ctx({ minOomScoreAdj: 0 }))).process.oomScoreAdj, 500);
  assert.is(valid(appConfig(plan({ isolators: { oomScoreAdj: 0 } }), ctx({ minOomScoreAdj: 0 }))).process.oomScoreAdj, 0);
  assert.is(valid(appConfig(plan({ isolators: { oomScoreAdj: -500 } }), ctx({ minOomScoreAdj: -1000 }))).process.oomScoreAdj, -500);
});

test('oom-score-adj below the runtime’s own is refused, naming the app and both values', () => {
  try {
    appConfig(plan({ name: 'db', isolators: { oomScoreAdj: -100 } }), ctx({ minOomScoreAdj: 0 }));
    assert.unreachable('expected a refusal');
  } catch (err) {
    assert.ok(isPodstageError(err), String(err));
    assert.is(err.code, 'ERR_PODSTAGE_UNSUPPORTED');
    assert.match(err.message, 'apps[db]');
    assert.match(err.message, '-100');
    assert.match(err.message, '(0)');
    assert.match(err.hint ?? '', 'CAP_SYS_RESOURCE');
  }
});

// ------------------------------------------------------------------ what runc refuses

const manifest: PodManifest = { apiVersion: 'podstage.io/v1alpha1', kind: 'PodManifest', apps: [plan().app] };
const checkOptions = (net: string): Stage1CheckOptions => ({ mutable: false, net, insecureOptions: [] });

test('checkRuncSupport: host, none, default and CNI network names pass (stage0 attaches the namespace); the sandbox joins it by path', () => {
  for (const net of ['host', 'none', 'default', 'podstage', 'a,b']) checkRuncSupport(manifest, checkOptions(net));
  checkRuncSupport(manifest, { ...checkOptions('none'), mutable: true });
  const ctx = { uuid: 'u', rootfs: '/r', insecureOptions: [] };
  const joined = sandboxConfig({ ...ctx, net: 'host', netns: '/run/podstage/netns/u' }).linux.namespaces;
  assert.ok(joined.some((n) => n.type === 'network' && n.path === '/run/podstage/netns/u'), JSON.stringify(joined));
  assert.ok(sandboxConfig({ ...ctx, net: 'none' }).linux.namespaces.some((n) => n.type === 'network' && n.path === undefined), 'none: a new namespace');
  assert.not.ok(sandboxConfig({ ...ctx, net: 'host' }).linux.namespaces.some((n) => n.type === 'network'), "host: the host's");
});

// ------------------------------------------------------------------ snapshot

/** A representative app: limits, a small retain-set filter, a non-root user, volumes, shared pid. */
function representative(): OciSpec {
  return appConfig(plan({
    name: 'api',
    exec: ['/usr/bin/api-server', '--port', '8080'],
    env: { PATH: '/usr/bin:/bin', HOME: '/home/api', AC_APP_NAME: 'api', MODE: 'production' },
    cwd: '/srv/api',
    uid: 1001, gid: 1001, groups: [5],
    capabilities: effectiveCapabilities(['CAP_NET_BIND_SERVICE'], undefined),
    isolators: {
      memory: { limit: '256Mi' },
      cpu: { request: '100m', limit: '1' },
      capsRetain: { set: ['CAP_NET_BIND_SERVICE'] },
      seccompRetain: { set: ['read', 'write', 'openat', 'close', 'accept4', 'epoll_wait'], errno: 'ENOSYS' },
      noNewPrivileges: true,
      oomScoreAdj: 300,
    },
    readOnlyRootFS: true,
    mounts: [{ source: '/etc/api', target: '/etc/api', readOnly: true, recursive: true }],
  }), ctx({ sandboxPid: 4242, sharePid: true, shm: '/pod/stage1/shm', minOomScoreAdj: 0, maxOpenFiles: 1_048_576, insecureOptions: [] }));
}

test('snapshot: representative app config matches tests/fixtures/runc/app-config.json', () => {
  const text = `${JSON.stringify(valid(representative()), null, 2)}\n`;
  if (process.env.UPDATE_FIXTURES === '1') writeFileSync(FIXTURE, text);
  assert.ok(existsSync(FIXTURE), `${FIXTURE} is missing; write it with UPDATE_FIXTURES=1 and review it`);
  assert.fixture(text, readFileSync(FIXTURE, 'utf8'));
});


test('an app with a terminal (podstage.io/tty): runc makes its pty; without, none', () => {
  const base = plan();
  const tty = valid(appConfig({ ...base, app: { ...base.app, annotations: [{ name: 'podstage.io/tty', value: 'true' }, { name: 'podstage.io/stdin', value: 'once' }] } }, ctx()));
  assert.is(tty.process.terminal, true);
  assert.is(valid(appConfig(base, ctx())).process.terminal, undefined);
});

test("hostPID and hostIPC: the sandbox and its apps leave out those namespaces (the host's); the others stay the pod's", () => {
  const both = { pid: true, ipc: true };
  const sandbox = valid(sandboxConfig(sandboxCtx({ host: both })));
  assert.equal(sandbox.linux.namespaces.map((n) => n.type).sort(), ['cgroup', 'mount', 'network', 'uts']);
  const app = valid(appConfig(plan(), ctx({ host: both, sharePid: true })));
  assert.equal(app.linux.namespaces.map((n) => n.type).sort(), ['cgroup', 'mount', 'network', 'uts']);
  const ipcOnly = valid(appConfig(plan(), ctx({ host: { pid: false, ipc: true } })));
  assert.equal(ipcOnly.linux.namespaces.find((n) => n.type === 'pid'), { type: 'pid' });
  assert.not.ok(ipcOnly.linux.namespaces.some((n) => n.type === 'ipc'));
  assert.throws(() => checkRuncSupport({ ...manifest, annotations: [{ name: 'podstage.io/host-namespaces', value: 'net' }] }, checkOptions('default')), /expected pid, ipc or pid,ipc/);
});

test('sysctls: set in the sandbox, whose network and IPC namespaces the apps join; refused where those are the host\'s', () => {
  const c = valid(sandboxConfig(sandboxCtx({ sysctls: { 'net.core.somaxconn': '1024', 'kernel.shm_rmid_forced': '1' } })));
  assert.equal(c.linux.sysctl, { 'net.core.somaxconn': '1024', 'kernel.shm_rmid_forced': '1' });
  assert.is(valid(sandboxConfig(sandboxCtx())).linux.sysctl, undefined);
  const withSysctls = (value: object, more: { name: string; value: string }[] = []) => ({ ...manifest, annotations: [{ name: 'podstage.io/sysctls', value: JSON.stringify(value) }, ...more] });
  checkRuncSupport(withSysctls({ 'net.core.somaxconn': '1024' }), checkOptions('default'));
  assert.throws(() => checkRuncSupport(withSysctls({ 'net.core.somaxconn': '1024' }), checkOptions('host')), /net.core.somaxconn would change the host: the pod shares the host's network/);
  assert.throws(() => checkRuncSupport(withSysctls({ 'kernel.shmmax': '1' }, [{ name: 'podstage.io/host-namespaces', value: 'ipc' }]), checkOptions('default')), /the host's IPC namespace/);
});

test('mount propagation: rslave and rshared binds, and a shared root for an rshared one (containerd\'s rule)', () => {
  const volume = (propagation?: 'rslave' | 'rshared') => ({ source: '/srv/data', target: '/data', readOnly: false, recursive: true, ...(propagation === undefined ? {} : { propagation }) });
  const slave = valid(appConfig(plan({ mounts: [volume('rslave')] }), ctx()));
  assert.equal(mount(slave, '/data')?.options, ['rbind', 'rslave']);
  assert.is(slave.linux.rootfsPropagation, undefined, 'runc\'s default root is recursively slave');
  const both = valid(appConfig(plan({ mounts: [volume('rslave'), { ...volume('rshared'), target: '/shared' }] }), ctx()));
  assert.is(both.linux.rootfsPropagation, 'shared');
  const plain = valid(appConfig(plan({ mounts: [volume()] }), ctx()));
  assert.equal(mount(plain, '/data')?.options, ['rbind', 'rprivate']);
  assert.is(plain.linux.rootfsPropagation, undefined);
});

test("an app in another app's pid namespace (podstage.io/pid-namespace-of) joins it by the other's pid", () => {
  const c = valid(appConfig(plan(), ctx({ pidNamespaceOf: 4711 })));
  assert.equal(c.linux.namespaces.find((n) => n.type === 'pid'), { type: 'pid', path: '/proc/4711/ns/pid' });
});

test('host devices: the nodes runc makes, and a device cgroup rule for each with the access asked', () => {
  const node = { path: '/dev/fuse', type: 'c' as const, major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 };
  const c = valid(appConfig(plan(), ctx({ devices: [{ node, access: 'rw' }] })));
  assert.equal(c.linux.devices, [node]);
  assert.equal(c.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
  assert.is(valid(appConfig(plan(), ctx())).linux.devices, undefined);
});
test.run();
