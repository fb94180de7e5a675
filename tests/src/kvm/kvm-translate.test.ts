/** stage1-kvm without a VM: the QEMU command line and the guest scripts. */
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { DEFAULT_CAPABILITIES, effectiveIsolators } from '@podstage/contract';
import { MASKED_PATHS, READONLY_PATHS, type AppPlan } from '@podstage/stage1-common';
import { tscKhzFromCpuinfo } from '@podstage/stage1-kvm/host-tsc';
import { appScript, capabilityMask, execScript, kernelCmdline, parseGuestUsage, qemuArgs, seccompProgram, TAP_MIRROR } from '@podstage/stage1-kvm/translate';

function plan(over: Partial<AppPlan> = {}): AppPlan {
  return {
    name: 'web', app: { name: 'web', image: { id: 'sha256:x' }, app: { exec: ['/bin/true'] } } as unknown as AppPlan['app'],
    rootfs: '/p/apps/web/rootfs', lower: '/l', upper: '/u', work: '/w',
    exec: ['sh', '-c', "echo 'quoted' $HOME"], env: { PATH: '/bin', GREETING: "it's me" }, cwd: '/srv',
    identity: { uid: 1000, gid: 1000, groups: [10, 20], home: '/home/u' },
    capabilities: [...DEFAULT_CAPABILITIES], isolators: effectiveIsolators([], []), readOnlyRootFS: false, maskPaths: true, maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS], mounts: [],
    ...over,
  };
}

test("rkt's default capabilities as the bounding mask the guest helper keeps", () => {
  assert.is(capabilityMask(DEFAULT_CAPABILITIES), 'a80425fb');
  assert.is(capabilityMask([]), '0');
});

test('QEMU: microvm, the read-only pod export and the output share over 9p, the agent on a virtio-serial port', () => {
  const args = qemuArgs({ kernel: '/k', initrd: '/i', cmdline: 'c', acpi: true, exportDir: '/p/export', outputDir: '/p/output', agentPipe: '/p/agent', accel: { accel: 'tcg', cpu: 'qemu64', reason: 'test' }, memMiB: 256, cpus: 1 });
  const joined = args.join(' ');
  assert.match(joined, '-M microvm');
  assert.match(joined, 'local,id=pod,path=/p/export,security_model=none,multidevs=remap');
  assert.match(joined, 'local,id=out,path=/p/output,security_model=none');
  assert.match(joined, '-chardev pipe,id=agent,path=/p/agent');
  assert.match(joined, 'virtserialport,chardev=agent,name=podstage.agent');
  assert.ok(args.includes('-nodefaults') && args.includes('-no-reboot'));
  assert.not.match(joined, 'acpi=off');
  const minimal = qemuArgs({ kernel: '/k', initrd: '/i', cmdline: 'c', acpi: false, exportDir: '/e', outputDir: '/o', agentPipe: '/a', accel: { accel: 'tcg', cpu: 'qemu64', reason: 'test' }, memMiB: 256, cpus: 2 });
  assert.ok(minimal.includes('microvm,x-option-roms=off,pit=on,rtc=on,acpi=off'), 'a kernel without ACPI gets its virtio-mmio devices on the command line');
  assert.not.match(joined, '-netdev', 'no NIC off a CNI network');
  const onNet = qemuArgs({ kernel: '/k', initrd: '/i', cmdline: 'c', acpi: true, exportDir: '/e', outputDir: '/o', agentPipe: '/a', accel: { accel: 'tcg', cpu: 'qemu64', reason: 'test' }, memMiB: 256, cpus: 1, nic: { mac: '02:00:00:00:00:01' } }).join(' ');
  assert.match(onNet, '-netdev tap,id=net0,ifname=tap0,script=no,downscript=no -device virtio-net-device,netdev=net0,mac=02:00:00:00:00:01');
  assert.match(TAP_MIRROR, 'ip tuntap add dev tap0 mode tap && ip link set tap0 up && tc qdisc add dev eth0 ingress && tc filter add dev eth0 parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev tap0');
  assert.match(TAP_MIRROR, 'tc filter add dev tap0 parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev eth0');
});

test('the app script: the app in its cgroup through exec-app, with its root, namespaces and plan; env and argv shell-quoted', () => {
  const program = seccompProgram(plan(), []);
  assert.ok(program !== undefined && program.length % 8 === 0, 'the default seccomp filter is on');
  const script = appScript(plan({ readOnlyRootFS: true, mounts: [{ source: '/h', target: '/data', readOnly: true, recursive: true }], isolators: effectiveIsolators([], [
    { name: 'os/linux/no-new-privileges', value: true }, { name: 'os/linux/oom-score-adj', value: -5 },
    { name: 'resource/memory', value: { limit: '50Mi' } }, { name: 'resource/cpu', value: { limit: '250m' } },
  ]) }), program, { sharePid: false });
  assert.match(script, `echo ${program!.toString('base64')} | base64 -d > /run/podstage/app-web.bpf`);
  assert.match(script, "exec-app start --root '/pod/apps/web/rootfs' --pid-file /run/podstage/app-web.pid --device-cgroup");
  assert.match(script, "--mount 'proc' 'proc' '/proc' 'nosuid,nodev,noexec' ''");
  assert.not.match(script, '--join-pid-ns', 'an own pid namespace by default');
  assert.match(script, "--device-cgroup /sys/fs/cgroup/app-web --allow-device 'c *:* m' --allow-device 'b *:* m' --allow-device 'c 1:3 rwm'");
  assert.match(script, "--allow-device 'c 136:* rwm' --mount 'proc'");
  assert.match(script, "--mount 'sysfs' 'sys' '/sys' 'ro,nosuid,nodev,noexec' ''");
  assert.match(script, "--mknod '/dev/null' '1' '3'");
  assert.match(script, "--mount 'bind' '/run/podstage/shm' '/dev/shm' '' ''");
  assert.match(script, "--mount 'tmpfs' 'tmp' '/tmp' 'nosuid,nodev' 'mode=1777'");
  assert.match(script, "--mount 'bind' '/pod/volumes/web/0' '/data' 'rec,ro' '' --mask '/proc/acpi'");
  assert.match(script, "--mask '/sys/devices/virtual/powercap' --readonly '/proc/bus'");
  assert.match(script, "--readonly '/proc/sysrq-trigger' --readonly-root");
  assert.match(script, "env -i 'PATH=/bin' 'GREETING=it'\\''s me' /bin/podstage-exec-app start ");
  assert.match(script, "--readonly-root --cwd '/srv' --uid 1000 --gid 1000 --groups 10,20 --keep-caps a80425fb --nnp --seccomp-fd 3 --oom-score-adj -5 -- 'sh' '-c' 'echo '\\''quoted'\\'' $HOME' 3</run/podstage/app-web.bpf");
  assert.match(script, 'C=/sys/fs/cgroup/app-web\nmkdir -p $C\necho 52428800 > $C/memory.max');
  assert.match(script, 'echo "25000 100000" > $C/cpu.max');
  assert.match(script, '(echo 0 > $C/cgroup.procs && exec /bin/busybox env -i');
  assert.match(script, '>/out/web.stdout 2>/out/web.stderr &');
  assert.match(script, 'echo 1 > $C/cgroup.kill');
  const open = appScript(plan(), seccompProgram(plan(), ['seccomp']), { sharePid: false });
  assert.not.match(open, 'seccomp');
  assert.not.match(appScript(plan({ maskPaths: false, maskedPaths: [], readonlyPaths: [] }), undefined, { sharePid: false }), '--mask', '--insecure-options=paths');
  const own = appScript(plan({ maskedPaths: ['/bin/ls'], readonlyPaths: ['/tmp'] }), undefined, { sharePid: false });
  assert.match(own, "--mask '/bin/ls' --readonly '/tmp'", "the app's own lists (the CRI's) replace runc's");
  assert.not.match(own, '/proc/kcore');
  const shared = appScript(plan(), undefined, { sharePid: true });
  assert.match(shared, '--join-pid-ns "/proc/$(cat /run/podstage/pod-init.pid)/ns/pid"');
  const enter = execScript(plan(), ['id', '-u'], true);
  assert.match(enter, "echo 0 > /sys/fs/cgroup/app-web/cgroup.procs\nexec /bin/busybox env -i 'PATH=/bin'");
  assert.match(enter, 'podstage-exec-app enter --pid "$(cat /run/podstage/app-web.pid)" --cwd');
  assert.match(enter, "[ -s /run/podstage/app-web.pid ] || { echo 'app web is not running' >&2; exit 125; }");
});

test('the guest is told the host TSC rate: cpu MHz on a constant-TSC host without cpufreq, else the model name\'s nominal clock', () => {
  const vm = 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\ncpu MHz\t\t: 2600.000\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n\nprocessor\t: 1\ncpu MHz\t\t: 1.000\n';
  assert.is(tscKhzFromCpuinfo(vm, false), 2_600_000);
  const metal = 'processor\t: 0\nmodel name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\ncpu MHz\t\t: 3391.812\nflags\t\t: fpu tsc constant_tsc\n';
  assert.is(tscKhzFromCpuinfo(metal, true), 1_900_000, 'cpufreq varies cpu MHz: the nominal clock');
  assert.is(tscKhzFromCpuinfo('processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2000.000\nflags\t\t: fpu tsc\n', false), undefined, 'no constant TSC, no nominal clock');
  assert.is(kernelCmdline(2_600_000, 'quiet=1'), 'console=ttyS0 quiet loglevel=0 reboot=t panic=-1 tsc_early_khz=2600000 quiet=1');
});

test('app-stats: the guest cgroup v2 figures the agent prints become the usage', () => {
  const printed = ['procs 2', 'memory.current 5242880', 'anon 1048576', 'file 3145728', 'inactive_file 2097152', 'pgfault 420', 'pgmajfault 3',
    'usage_usec 125000', 'user_usec 100000', 'system_usec 25000', 'nr_periods 0'].join('\n');
  assert.equal(parseGuestUsage(printed), {
    cpuNanos: 125_000_000, memoryBytes: 5242880, workingSetBytes: 5242880 - 2097152, rssBytes: 1048576, pageFaults: 420, majorPageFaults: 3, processes: 2,
  });
  assert.is(parseGuestUsage('').processes, 0, 'an empty report is all zeros, never NaN');
});


test('an app to attach to: its stdin is the FIFO the agent feeds, its terminal podstage-tty (ABI 6)', () => {
  const base = plan();
  const withAnnotations = (annotations: { name: string; value: string }[]) => plan({ app: { ...base.app, annotations } });
  assert.match(appScript(base, undefined, { sharePid: false }), ') </dev/null >/out/web.stdout');
  const piped = appScript(withAnnotations([{ name: 'podstage.io/stdin', value: 'once' }]), undefined, { sharePid: false });
  assert.match(piped, ') </run/podstage/web.in >/out/web.stdout');
  assert.not.match(piped, 'podstage-tty');
  const tty = appScript(withAnnotations([{ name: 'podstage.io/tty', value: 'true' }]), undefined, { sharePid: false });
  assert.match(tty, '(echo 0 > $C/cgroup.procs && exec /bin/podstage-tty /run/podstage/web.size -- /bin/busybox env -i');
  assert.match(tty, ') </run/podstage/web.in >/out/web.stdout 2>/out/web.stderr &\necho $! > /run/podstage/web.tty\n');
});

test("an app in another app's pid namespace joins it by the other's guest pid file", () => {
  assert.match(appScript(plan(), undefined, { sharePid: true, pidNamespaceOf: 'main' }), '--join-pid-ns "/proc/$(cat /run/podstage/app-main.pid)/ns/pid"');
});
test.run();
