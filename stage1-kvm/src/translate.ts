/**
 * Pod manifest → the QEMU command line and the guest's per-app scripts (pure).
 * The apps' roots are shared with the guest over 9p (guest-share.ts); the
 * scripts travel over the agent channel; apps run chrooted in their roots
 * inside the guest, under the guest kernel.
 */
import {
  annotationValue, appStdio, CAPABILITIES, HOST_NAMESPACES_ANNOTATION, hostNamespaces, podSysctls, cniNetworks, cpuLimitMillis, effectiveIsolators, isInteractive, memoryLimitBytes, PodstageError,
  type AppUsage, type Capability, type PodManifest, type Stage1CheckOptions,
} from '@podstage/contract';
import { buildProfile, compileProfile } from '@podstage/seccomp';
import {
  ALLOWED_DEVICES, cgroupLimits, checkSeccompIsolators, refuseDevices, refuseMountPropagation, CPU_PERIOD_US, devicesV1Rule, shellQuote, type AppPlan,
} from '@podstage/stage1-common';
import type { Accelerator } from './accel.js';
import { AGENT_PORT_NAME, guestAppPidFile, guestInputFifo, guestTtyPidFile, guestTtySizeFile, POD_INIT_PID_FILE } from './guest/agent-script.js';
import { GUEST_RUN_DIR, GUEST_SHM, guestCgroup, OUTPUT_TAG, POD_TAG } from './guest/init-script.js';
export { guestCgroup };

export const GUEST_OVERHEAD_MIB = 128;
/** Debian's kernel panics below this. */
export const MIN_GUEST_MIB = 256;
export const KERNEL_CMDLINE = 'console=ttyS0 quiet loglevel=0 reboot=t panic=-1';

/** The guest kernel's command line: the fixed part, the host's TSC rate (see host-tsc.ts), and any extra. */
export const kernelCmdline = (tscKhz: number, extra?: string): string => [KERNEL_CMDLINE, `tsc_early_khz=${tscKhz}`, extra].filter(Boolean).join(' ');
export const KERNEL_ANNOTATION = 'podstage.io/kvm-kernel';
export const INITRD_ANNOTATION = 'podstage.io/kvm-initrd';
export const CMDLINE_ANNOTATION = 'podstage.io/kvm-cmdline';
export const HALT_TIMEOUT_ANNOTATION = 'podstage.io/kvm-halt-timeout-seconds';
/** How long a guest may take to halt once all its apps have exited before QEMU is killed. */
export const DEFAULT_HALT_TIMEOUT_S = 10;

function refuse(what: string, hint: string): never {
  throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 kvm: ${what}`, { hint });
}

const KVM_DEVICES_WHY = 'the guest has its own devices, not the host\'s';

export function checkKvmSupport(m: PodManifest, o: Stage1CheckOptions): void {
  checkSeccompIsolators(m);
  if (o.net === 'host') refuse(`--net=host: a VM cannot share the host's network`, 'use the default network, --net=none or another CNI network');
  if (cniNetworks(o.net).length > 1) refuse(`--net=${o.net}: a VM joins one CNI network`, 'name one network');
  podSysctls(m.annotations);
  refuseMountPropagation(m, 'kvm', 'volumes reach the guest over 9p, which carries no mounts');
  refuseDevices(m.apps, 'kvm', KVM_DEVICES_WHY);
  const host = hostNamespaces(m.annotations);
  if (host.pid || host.ipc) refuse(`annotation ${HOST_NAMESPACES_ANNOTATION}: a VM's apps cannot share the host's pid or IPC namespace`, 'run the pod under stage1 runc');
  haltTimeoutS(m);
}

/** podstage.io/kvm-halt-timeout-seconds: a whole number of seconds, at least 1. */
export function haltTimeoutS(m: PodManifest): number {
  const value = annotationValue(m.annotations, HALT_TIMEOUT_ANNOTATION);
  if (value === undefined) return DEFAULT_HALT_TIMEOUT_S;
  if (!/^[1-9][0-9]{0,5}$/.test(value)) {
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `annotation ${HALT_TIMEOUT_ANNOTATION}: expected a whole number of seconds (1 or more), got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Guest size: the apps' memory limits plus a fixed overhead (rkt's +128 MiB); vCPUs from the cpu limits. */
export function guestResources(m: PodManifest): { memMiB: number; cpus: number } {
  let mem = 0;
  let cpus = 1;
  for (const app of m.apps) {
    const iso = effectiveIsolators(m.isolators, app.app.isolators);
    mem += Math.ceil((memoryLimitBytes(iso) ?? 0) / 2 ** 20);
    cpus = Math.max(cpus, Math.ceil((cpuLimitMillis(iso) ?? 0) / 1000));
  }
  return { memMiB: Math.max(MIN_GUEST_MIB, GUEST_OVERHEAD_MIB + mem), cpus };
}

export interface QemuContext {
  kernel: string;
  initrd: string;
  cmdline: string;
  acpi: boolean;
  /** Exported read-only as the guest's /pod (apps' writable roots and volumes are mounts inside it). */
  exportDir: string;
  /** Exported writable as the guest's /out: app and exec output files. */
  outputDir: string;
  /** The agent port's FIFOs, without their `.in` and `.out`. */
  agentPipe: string;
  accel: Accelerator;
  memMiB: number;
  cpus: number;
  /** On a CNI network: the VM's NIC, a tap in the pod's namespace (TAP_MIRROR), with the MAC of the pod's interface. */
  nic?: { mac: string } | undefined;
}

/** The VM's tap in the pod's network namespace. */
export const TAP = 'tap0';

/**
 * Run in the pod's network namespace before QEMU (Kata's tcfilter model): a tap
 * for the VM, and tc mirroring between it and the pod's CNI interface, so the
 * guest, with that interface's MAC and address, is the pod on its network.
 */
export const TAP_MIRROR = [
  `ip tuntap add dev ${TAP} mode tap`, `ip link set ${TAP} up`,
  ...[['eth0', TAP], [TAP, 'eth0']].flatMap(([from, to]) => [
    `tc qdisc add dev ${from} ingress`, `tc filter add dev ${from} parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev ${to}`,
  ]),
].join(' && ');

/** The machine, its kernel and initramfs, and the serial console: everything but the pod's devices. */
export type MachineContext = Pick<QemuContext, 'kernel' | 'initrd' | 'cmdline' | 'acpi' | 'accel' | 'memMiB' | 'cpus'>;

export function machineArgs(c: MachineContext): string[] {
  return [
    '-M', `microvm,x-option-roms=off,pit=on,rtc=on${c.acpi ? '' : ',acpi=off'}`,
    '-accel', c.accel.accel, '-cpu', c.accel.cpu,
    '-m', `${c.memMiB}M`, '-smp', String(c.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', c.kernel, '-initrd', c.initrd, '-append', c.cmdline,
    '-serial', 'stdio',
  ];
}

export function qemuArgs(c: QemuContext): string[] {
  return [
    ...machineArgs(c),
    // multidevs=remap: the export holds other file systems (the apps' overlays, volumes).
    '-fsdev', `local,id=${POD_TAG},path=${c.exportDir},security_model=none,multidevs=remap`,
    '-device', `virtio-9p-device,fsdev=${POD_TAG},mount_tag=${POD_TAG}`,
    '-fsdev', `local,id=${OUTPUT_TAG},path=${c.outputDir},security_model=none`,
    '-device', `virtio-9p-device,fsdev=${OUTPUT_TAG},mount_tag=${OUTPUT_TAG}`,
    '-device', 'virtio-serial-device',
    '-chardev', `pipe,id=agent,path=${c.agentPipe}`,
    '-device', `virtserialport,chardev=agent,name=${AGENT_PORT_NAME}`,
    ...(c.nic === undefined ? [] : ['-netdev', `tap,id=net0,ifname=${TAP},script=no,downscript=no`, '-device', `virtio-net-device,netdev=net0,mac=${c.nic.mac}`]),
  ];
}

export { shellQuote };

/** Where the guest sees an app's root and its volumes (host: guest-share.ts). */
export const guestRootfs = (app: string) => `/pod/apps/${app}/rootfs`;
export const guestVolume = (app: string, index: number) => `/pod/volumes/${app}/${index}`;
/** An app's output in the share; `running` once it runs (its pid file written), which kvm-runtime's start waits for. */
export const guestOutput = (app: string, stream: 'stdout' | 'stderr' | 'running' | 'oom-killed') => `/out/${app}.${stream}`;

/** cgroup v1 cpu.shares (2..262144) as a v2 cpu.weight (1..10000), the kernel's own mapping. */
const cpuWeight = (shares: number) => Math.round(1 + ((shares - 2) * 9999) / 262142);

/** The app's own limits (the shared cgroupLimits) inside the guest, cgroup v2, where the guest kernel enforces them. */
function cgroupLines(p: AppPlan): string[] {
  const { memoryBytes, cpuQuotaUs, cpuShares } = cgroupLimits(p.isolators);
  return [
    `C=${guestCgroup(p.name)}`,
    'mkdir -p $C',
    ...(memoryBytes === undefined ? [] : [`echo ${memoryBytes} > $C/memory.max`, '[ ! -e $C/memory.swap.max ] || echo 0 > $C/memory.swap.max']),
    ...(cpuQuotaUs === undefined ? [] : [`echo "${cpuQuotaUs} ${CPU_PERIOD_US}" > $C/cpu.max`]),
    ...(cpuShares === undefined ? [] : [`echo ${cpuWeight(cpuShares)} > $C/cpu.weight`]),
  ];
}

/** In the guest's root (guest/exec-app.c). */
const EXEC_APP = '/bin/podstage-exec-app';
export const guestSeccompFile = (app: string) => `${GUEST_RUN_DIR}/app-${app}.bpf`;

export function capabilityMask(caps: readonly Capability[]): string {
  return caps.reduce((mask, c) => mask | (1n << BigInt(CAPABILITIES.indexOf(c))), 0n).toString(16);
}

/** The app's seccomp filter, compiled here and installed in the guest (--insecure-options=seccomp: none). */
export function seccompProgram(p: AppPlan, insecureOptions: readonly string[]): Buffer | undefined {
  const profile = buildProfile(p.isolators, { disabled: insecureOptions.includes('seccomp') });
  return profile === undefined ? undefined : compileProfile(profile);
}

/** How the pod runs its apps in the guest, beyond each app's plan. */
export interface GuestPodOptions {
  /** The apps share the pod's pid namespace (podstage.io/share-pid-namespace) instead of one each. */
  sharePid: boolean;
  /** The app whose pid namespace this one joins (podstage.io/pid-namespace-of). */
  pidNamespaceOf?: string;
}

/**
 * podstage-exec-app's last steps, for start and enter alike: the app's
 * environment (env -i), directory, capabilities, no-new-privileges, seccomp
 * filter from fd 3, oom score, identity. Every step execs in place.
 */
function execAppCommand(p: AppPlan, mode: string[], argv: string[], seccomp: boolean): string {
  const env = Object.entries(p.env).map(([k, v]) => shellQuote(`${k}=${v}`));
  const { uid, gid, groups } = p.identity;
  const flags = [
    '--cwd', shellQuote(p.cwd), '--uid', String(uid), '--gid', String(gid),
    ...(groups.length > 0 ? ['--groups', groups.join(',')] : []),
    '--keep-caps', capabilityMask(p.capabilities),
    ...(p.isolators.noNewPrivileges === true ? ['--nnp'] : []),
    ...(seccomp ? ['--seccomp-fd', '3'] : []),
    ...(p.isolators.oomScoreAdj === undefined ? [] : ['--oom-score-adj', String(p.isolators.oomScoreAdj)]),
  ];
  const redirect = seccomp ? ` 3<${guestSeccompFile(p.name)}` : '';
  return `/bin/busybox env -i ${env.join(' ')} ${EXEC_APP} ${[...mode, ...flags].join(' ')} -- ${argv.map(shellQuote).join(' ')}${redirect}`;
}

/** runc's default devices as nodes; mknod of others works (CAP_MKNOD), opening them does not (the device filter). */
const DEVICES: readonly [string, number, number][] = [['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0]];

/** An exec-app flag and its values: `--mount TYPE SOURCE TARGET FLAGS DATA`, `--mknod PATH MAJOR MINOR`, `--symlink VALUE PATH`. */
type RootStep = [string, ...string[]];
const mountStep = (type: string, source: string, target: string, flags = '', data = ''): RootStep => ['--mount', type, source, target, flags, data];

/**
 * The app's root as exec-app builds it in the app's own mount namespace
 * (every target resolved inside the root): /proc of its pid namespace, a
 * read-only /sys, its own /dev (runc's nodes, its own devpts, the pod's
 * shared /dev/shm; not the guest's devtmpfs, which holds the agent's port), a
 * tmpfs /tmp, the volumes, runc's masked and read-only paths, and a
 * read-only root if asked.
 */
function rootSteps(p: AppPlan): RootStep[] {
  return [
    mountStep('proc', 'proc', '/proc', 'nosuid,nodev,noexec'),
    mountStep('sysfs', 'sys', '/sys', 'ro,nosuid,nodev,noexec'),
    mountStep('tmpfs', 'dev', '/dev', 'nosuid,strictatime', 'mode=755,size=65536k'),
    ...DEVICES.map(([n, major, minor]): RootStep => ['--mknod', `/dev/${n}`, String(major), String(minor)]),
    // The minimal kernel has no devpts.
    mountStep('devpts', 'devpts', '/dev/pts', 'nosuid,noexec,optional', 'newinstance,ptmxmode=0666,mode=0620'),
    mountStep('bind', GUEST_SHM, '/dev/shm'),
    ...[['pts/ptmx', 'ptmx'], ['/proc/self/fd', 'fd'], ['/proc/self/fd/0', 'stdin'], ['/proc/self/fd/1', 'stdout'], ['/proc/self/fd/2', 'stderr']]
      .map(([value, name]): RootStep => ['--symlink', value as string, `/dev/${name as string}`]),
    ...(p.mounts.some((v) => v.target === '/tmp') ? [] : [mountStep('tmpfs', 'tmp', '/tmp', 'nosuid,nodev', 'mode=1777')]),
    ...p.mounts.map((v, i) => mountStep('bind', guestVolume(p.name, i), v.target, [v.recursive ? 'rec' : '', v.readOnly ? 'ro' : ''].filter(Boolean).join(','))),
    // runc's masked and read-only /proc and /sys paths, unless --insecure-options=paths.
    ...p.maskedPaths.map((path): RootStep => ['--mask', path]), ...p.readonlyPaths.map((path): RootStep => ['--readonly', path]),
    ...(p.readOnlyRootFS ? [['--readonly-root'] as RootStep] : []),
  ];
}

/**
 * The guest script for one app start: its cgroup, then exec-app in it, which
 * limits the cgroup's devices, gives the app its own mount namespace and pid
 * namespace (or the pod's shared one), builds its root there and pivots into
 * it, and writes the app's pid for signals; the script's exit status is the app's.
 */
export function appScript(p: AppPlan, seccompProgram: Buffer | undefined, pod: GuestPodOptions): string {
  const start = [
    'start', '--root', shellQuote(guestRootfs(p.name)), '--pid-file', guestAppPidFile(p.name),
    ...(pod.pidNamespaceOf !== undefined ? ['--join-pid-ns', `"/proc/$(cat ${guestAppPidFile(pod.pidNamespaceOf)})/ns/pid"`]
      : pod.sharePid ? ['--join-pid-ns', `"/proc/$(cat ${POD_INIT_PID_FILE})/ns/pid"`] : []),
    // runc's device allowlist on the app's cgroup (a BPF device filter: the guest's cgroups are v2).
    '--device-cgroup', guestCgroup(p.name), ...ALLOWED_DEVICES.flatMap((r) => ['--allow-device', shellQuote(devicesV1Rule(r))]),
    ...rootSteps(p).map(([flag, ...values]) => [flag, ...values.map(shellQuote)].join(' ')),
  ];
  // An app to attach to (ABI 6): its stdin is the FIFO the agent feeds, its terminal podstage-tty's.
  const stdio = appStdio(p.app.annotations, p.name);
  const app = execAppCommand(p, start, p.exec, seccompProgram !== undefined);
  const run = stdio.tty ? `/bin/podstage-tty ${guestTtySizeFile(p.name)} -- ${app}` : app;
  const stdin = isInteractive(stdio) ? guestInputFifo(p.name) : '/dev/null';
  const lines = [
    ...(seccompProgram === undefined ? [] : [`echo ${seccompProgram.toString('base64')} | base64 -d > ${guestSeccompFile(p.name)}`]),
    ...cgroupLines(p),
    // The subshell moves itself into the app's cgroup (writing 0 moves the writer), then becomes the app.
    `(echo 0 > $C/cgroup.procs && exec ${run}) <${stdin} >${guestOutput(p.name, 'stdout')} 2>${guestOutput(p.name, 'stderr')} &`,
    ...(stdio.tty ? [`echo $! > ${guestTtyPidFile(p.name)}`] : []),
    // Running once exec-app wrote its pid (or gave up): what a start returns on, as runc's does.
    `for i in $(seq 500); do [ -s ${guestAppPidFile(p.name)} ] && break; kill -0 $! 2>/dev/null || break; sleep 0.01; done; : > ${guestOutput(p.name, 'running')}`,
    // Quiet from here: ash reports a job killed by a signal ("Terminated") on its stderr, the console.
    'exec 2>/dev/null',
    'wait $!',
    'status=$?',
    // Killed by the OOM killer: its cgroup counted the kill (read before the cgroup goes; kvm-io passes it on).
    `grep -q '^oom_kill [1-9]' $C/memory.events && : > ${guestOutput(p.name, 'oom-killed')}`,
    `rm -f ${guestAppPidFile(p.name)} ${guestSeccompFile(p.name)}`,
    // Whatever the app left running ends with it, as on the host.
    'echo 1 > $C/cgroup.kill; for i in $(seq 500); do rmdir $C 2>/dev/null && break; sleep 0.01; done',
    'exit $status',
  ];
  return `${lines.join('\n')}\n`;
}

/** The guest script for `enter`: argv in the running app's namespaces and cgroup, as the app (output: the agent). */
export function execScript(p: AppPlan, argv: string[], seccomp: boolean): string {
  const pidFile = guestAppPidFile(p.name);
  return [
    `[ -s ${pidFile} ] || { echo ${shellQuote(`app ${p.name} is not running`)} >&2; exit 125; }`,
    `echo 0 > ${guestCgroup(p.name)}/cgroup.procs`,
    `exec ${execAppCommand(p, ['enter', '--pid', `"$(cat ${pidFile})"`], argv, seccomp)}`,
  ].join('\n') + '\n';
}

/** The guest's cgroup v2 files (`key value` lines, as the agent prints them) as usage figures. */
export function parseGuestUsage(text: string): AppUsage {
  const v = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && value !== undefined && /^\d+$/.test(value)) v.set(key, Number(value));
  }
  const n = (key: string) => v.get(key) ?? 0;
  const memory = n('memory.current');
  return {
    cpuNanos: n('usage_usec') * 1000, memoryBytes: memory, workingSetBytes: Math.max(0, memory - n('inactive_file')),
    rssBytes: n('anon'), pageFaults: n('pgfault'), majorPageFaults: n('pgmajfault'), processes: n('procs'),
  };
}
