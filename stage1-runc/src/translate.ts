/**
 * A podstage pod → OCI runtime-spec bundles (pure; validated against the
 * official schema in tests). A pod is one sandbox container that owns the
 * pod's network, IPC, UTS (and optionally pid) namespaces, plus one container
 * per app joining them by /proc/<sandbox pid>/ns/* paths, as CRI runtimes do.
 * Cgroup paths are absolute: a relative one lands under runc's own cgroup.
 */
import { annotationValue, appStdio, hostNamespaces, type HostNamespaces, defaultPodHostname, ISOLATOR, PodstageError, type PodManifest, type Stage1CheckOptions } from '@podstage/contract';
import {
  ALLOWED_DEVICES, appCgroup, cgroupLimits, checkPodSysctls, checkSeccompIsolators, CPU_PERIOD_US, MASKED_PATHS, masksPaths, podCgroup, podInitArgs, READONLY_PATHS, type AppPlan,
} from '@podstage/stage1-common';
import { buildProfile, compileProfile, toOciSeccomp, type OciSeccomp, type SeccompProfile } from '@podstage/seccomp';
import { shellCommand, shellQuote } from '@podstage/stage1-common';

export const OCI_VERSION = '1.0.2';

// ---------------------------------------------------------------- OCI types (only what we emit)

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export type OciNamespaceType = 'pid' | 'network' | 'ipc' | 'uts' | 'mount' | 'cgroup';

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join this namespace instead of creating one. */
  path?: string;
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

export interface OciRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface OciProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
  capabilities: OciCapabilities;
  noNewPrivileges: boolean;
  /** runc makes the container's pty and sends its master to conmon's console socket. */
  terminal?: boolean;
  rlimits?: OciRlimit[];
  oomScoreAdj?: number;
}

export interface OciDeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

/** A device node runc makes in the container (linux.devices). */
export interface OciDevice {
  path: string;
  type: 'b' | 'c';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciResources {
  memory?: { limit: number };
  cpu?: { shares?: number; quota?: number; period?: number };
  devices: OciDeviceRule[];
}

export interface OciLinux {
  namespaces: OciNamespace[];
  cgroupsPath: string;
  resources: OciResources;
  seccomp?: OciSeccomp;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  rootfsPropagation?: 'shared';
  devices?: OciDevice[];
}

export interface OciSpec {
  ociVersion: typeof OCI_VERSION;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  annotations: Record<string, string>;
}

// ---------------------------------------------------------------- contexts

export interface SandboxContext {
  uuid: string;
  /** The cgroup the pod's is made in (the kubelet's pod cgroup; ABI 9). */
  cgroupParent?: string | undefined;
  /** Prepared by the caller: holds only the static busybox at SANDBOX_BUSYBOX. Mounted read-only. */
  rootfs: string;
  net: 'host' | 'none';
  /** The pod's network namespace (CNI networks, set up by stage0): joined instead of `net`. */
  netns?: string | undefined;
  /** The pod's hostname (--hostname), else defaultPodHostname. */
  hostname?: string | undefined;
  insecureOptions: readonly string[];
  /** The host's pid and IPC namespaces instead of the pod's own (hostPID, hostIPC). */
  host?: HostNamespaces;
  /** Set in the sandbox's namespaces, which the apps join (podstage.io/sysctls). */
  sysctls?: Record<string, string>;
  /** The runtime loads podstage's own compiled seccomp filter (CRUN_SECCOMP_BPF). */
  compiledSeccomp?: boolean;
}

export interface AppContext {
  uuid: string;
  /** As the sandbox's. */
  cgroupParent?: string | undefined;
  /** PID (on the host) of the sandbox container's init, whose namespaces the app joins. */
  sandboxPid: number;
  /** Join the sandbox's pid namespace (apps see each other) instead of getting one of their own. */
  sharePid: boolean;
  /** The host's pid and IPC namespaces, as the sandbox has them. */
  host?: HostNamespaces;
  /** The host pid of another app whose pid namespace this one joins (podstage.io/pid-namespace-of). */
  pidNamespaceOf?: number;
  /** Host devices the app gets (podstage.io/devices), as the driver found them on the host. */
  devices?: { node: OciDevice; access: string }[];
  /** The pod's /dev/shm on the host, shared by its apps as Kubernetes' pods share theirs (pod-shm.ts). */
  shm: string;
  insecureOptions: readonly string[];
  /** The runtime's own oom_score_adj: going below it needs CAP_SYS_RESOURCE. */
  minOomScoreAdj: number;
  /**
   * The runtime's own RLIMIT_NOFILE hard limit (raising it needs CAP_SYS_RESOURCE):
   * the app gets min(DEFAULT_OPEN_FILES, this). Absent: the app inherits the runtime's limit.
   */
  maxOpenFiles?: number;
  /** The runtime loads podstage's own compiled seccomp filter (CRUN_SECCOMP_BPF). */
  compiledSeccomp?: boolean;
}

// ---------------------------------------------------------------- shared pieces

/** Where the sandbox rootfs holds Debian's static busybox. */
export const SANDBOX_BUSYBOX = '/busybox';

/** The sandbox's init (the shared pod init loop), from the sandbox's own busybox. */
export const SANDBOX_INIT_ARGS = podInitArgs(SANDBOX_BUSYBOX);

/** containerd's default; capped by what the runtime itself may hand out. */
export const DEFAULT_OPEN_FILES = 1_048_576;

export const ANNOTATION_POD = 'io.podstage.pod';
export const ANNOTATION_APP = 'io.podstage.app';

export const sandboxCgroupsPath = (uuid: string, parent?: string) => `/${podCgroup(uuid, parent)}/sandbox`;
export const appCgroupsPath = (uuid: string, app: string, parent?: string) => `/${appCgroup(uuid, app, parent)}`;

/** Deny everything, then runc's default devices (shared with every stage1). */
export const DEVICE_RULES: readonly OciDeviceRule[] = Object.freeze([
  { allow: false, access: 'rwm' },
  ...ALLOWED_DEVICES.map((r) => ({ allow: true, ...r })),
]);

/** /proc, /dev and /sys as `runc spec` makes them. */
function systemMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ];
}

/**
 * Never more than the bounding set in any set (moby's model after CVE-2022-24769): inheritable and
 * ambient empty, so exec of a setuid or file-capability binary gains at most the bounding set; a
 * non-root app holds no capability, as after setuid(2) to a non-zero uid.
 */
function capabilities(set: readonly string[], uid = 0): OciCapabilities {
  const held = uid === 0 ? [...set] : [];
  return { bounding: [...set], effective: held, inheritable: [], permitted: [...held], ambient: [] };
}

/** Seccomp and masked paths (the app's lists, runc's for the sandbox), each unless its --insecure-options value turns it off. */
function hardening(
  seccomp: SeccompProfile | undefined, insecureOptions: readonly string[], paths: Pick<AppPlan, 'maskedPaths' | 'readonlyPaths'> = { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] },
): Pick<OciLinux, 'seccomp' | 'maskedPaths' | 'readonlyPaths'> {
  const out: Pick<OciLinux, 'seccomp' | 'maskedPaths' | 'readonlyPaths'> = {};
  if (seccomp !== undefined) out.seccomp = toOciSeccomp(seccomp);
  if (masksPaths(insecureOptions)) {
    out.maskedPaths = [...paths.maskedPaths];
    out.readonlyPaths = [...paths.readonlyPaths];
  }
  return out;
}

const seccompProfile = (iso: AppPlan['isolators'], insecureOptions: readonly string[]) => buildProfile(iso, { disabled: insecureOptions.includes('seccomp') });

/**
 * crun's annotation for a seccomp filter compiled by the caller: crun loads it instead of
 * compiling linux.seccomp with libseccomp (CRI-O and podman pass podman's cached filters the
 * same way). That saves libseccomp's compile of every container start, and the app gets the
 * filter podstage's other stage1s install: the x86_64 calls of the profile, the i386 ABI killed.
 */
export const CRUN_SECCOMP_BPF = 'run.oci.seccomp_bpf_data';

function compiledSeccomp(seccomp: SeccompProfile | undefined, compiled: boolean | undefined): Record<string, string> {
  return seccomp !== undefined && compiled === true ? { [CRUN_SECCOMP_BPF]: compileProfile(seccomp).toString('base64') } : {};
}

// ---------------------------------------------------------------- sandbox

export function sandboxConfig(ctx: SandboxContext): OciSpec {
  const seccomp = seccompProfile({}, ctx.insecureOptions);
  // A namespace left out is the host's.
  const namespaces: OciNamespace[] = ctx.host?.pid === true ? [] : [{ type: 'pid' }];
  if (ctx.netns !== undefined) namespaces.push({ type: 'network', path: ctx.netns });
  else if (ctx.net === 'none') namespaces.push({ type: 'network' });
  if (ctx.host?.ipc !== true) namespaces.push({ type: 'ipc' });
  namespaces.push({ type: 'uts' }, { type: 'mount' }, { type: 'cgroup' });
  return {
    ociVersion: OCI_VERSION,
    process: {
      args: [...SANDBOX_INIT_ARGS],
      env: [],
      cwd: '/',
      user: { uid: 0, gid: 0 },
      capabilities: capabilities([]),
      noNewPrivileges: true,
    },
    root: { path: ctx.rootfs, readonly: true },
    hostname: ctx.hostname ?? defaultPodHostname(ctx.uuid),
    mounts: systemMounts(),
    linux: {
      namespaces,
      cgroupsPath: sandboxCgroupsPath(ctx.uuid, ctx.cgroupParent),
      resources: { devices: [...DEVICE_RULES] },
      ...hardening(seccomp, ctx.insecureOptions),
      ...(ctx.sysctls === undefined || Object.keys(ctx.sysctls).length === 0 ? {} : { sysctl: ctx.sysctls }),
    },
    annotations: { [ANNOTATION_POD]: ctx.uuid, ...compiledSeccomp(seccomp, ctx.compiledSeccomp) },
  };
}

/**
 * Whether the pod's sandbox is a namespace holder rather than a runc container: when no app
 * joins a pid namespace of the sandbox's (each app has its own, or the host's), there is no pod
 * init to run, as CRI-O drops its infra container then.
 */
export const holdsNamespacesOnly = (sharePid: boolean, host: HostNamespaces | undefined): boolean => !sharePid || host?.pid === true;

/** The host's programs the holder runs (util-linux, busybox-static: scripts/setup.sh installs them). */
const HOLDER_TOOLS = { nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', setpriv: '/usr/bin/setpriv', busybox: '/bin/busybox' };

/**
 * The namespace holder's script (run by libexec/pod-runtime as the sandbox's create): the pod's
 * network (its CNI namespace joined, or one of its own for --net=none, or the host's), IPC
 * (unless hostIPC) and UTS namespaces, set up as runc sets up its sandbox's: the hostname,
 * loopback up in a network of its own, the pod's sysctls. Then it says `ready` on fd 3 and becomes
 * a sleep with no capability left and no_new_privs, in the pod's cgroup under the sandbox's
 * conmon. Every step execs in place: the process conmon watches holds the namespaces apps join.
 */
export function holderScript(ctx: SandboxContext): string {
  const ownNet = ctx.netns === undefined && ctx.net === 'none';
  const setup = [
    `${HOLDER_TOOLS.busybox} hostname ${shellQuote(ctx.hostname ?? defaultPodHostname(ctx.uuid))}`,
    ...(ownNet ? [`${HOLDER_TOOLS.busybox} ip link set lo up`] : []),
    ...Object.entries(ctx.sysctls ?? {}).map(([name, value]) => `printf '%s\\n' ${shellQuote(value)} > ${shellQuote(`/proc/sys/${name.replaceAll('.', '/')}`)}`),
    'echo ready >&3',
    `exec ${HOLDER_TOOLS.setpriv} --inh-caps=-all --bounding-set=-all --no-new-privs ${HOLDER_TOOLS.busybox} sleep 2147483647 3>&-`,
  ];
  const argv = [
    ...(ctx.netns === undefined ? [] : [HOLDER_TOOLS.nsenter, `--net=${ctx.netns}`]),
    HOLDER_TOOLS.unshare, '--uts', ...(ctx.host?.ipc === true ? [] : ['--ipc']), ...(ownNet ? ['--net'] : []),
    '--', '/bin/sh', '-c', setup.join(' && '),
  ];
  return `exec ${shellCommand(argv)}\n`;
}

// ---------------------------------------------------------------- apps

function appMounts(plan: AppPlan, ctx: AppContext): OciMount[] {
  const mounts = systemMounts().map((m): OciMount => (m.destination === '/dev/shm'
    ? { destination: '/dev/shm', type: 'bind', source: ctx.shm, options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev'] }
    : m));
  mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  if (!plan.mounts.some((m) => m.target === '/tmp')) {
    mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  }
  for (const m of plan.mounts) {
    const options = [m.recursive ? 'rbind' : 'bind', m.propagation ?? 'rprivate'];
    if (m.readOnly) options.push('ro');
    mounts.push({ destination: m.target, type: 'bind', source: m.source, options });
  }
  return mounts;
}

/**
 * An rshared mount needs a shared root (containerd's rule) so that runc keeps the root's parent
 * from going private; runc's default root, recursively slave, already suits an rslave one.
 */
function rootfsPropagation(plan: AppPlan): Pick<OciLinux, 'rootfsPropagation'> {
  return plan.mounts.some((m) => m.propagation === 'rshared') ? { rootfsPropagation: 'shared' } : {};
}

function appNamespaces(ctx: AppContext): OciNamespace[] {
  const joined = (type: OciNamespaceType, ns: string): OciNamespace => ({ type, path: `/proc/${ctx.sandboxPid}/ns/${ns}` });
  const own: OciNamespace = ctx.pidNamespaceOf === undefined ? { type: 'pid' } : { type: 'pid', path: `/proc/${ctx.pidNamespaceOf}/ns/pid` };
  const pid: OciNamespace[] = ctx.host?.pid === true ? [] : [ctx.sharePid ? joined('pid', 'pid') : own];
  return [
    ...pid,
    joined('network', 'net'),
    ...(ctx.host?.ipc === true ? [] : [joined('ipc', 'ipc')]),
    joined('uts', 'uts'),
    { type: 'mount' },
    { type: 'cgroup' },
  ];
}

function appResources(plan: AppPlan, ctx: AppContext): OciResources {
  const limits = cgroupLimits(plan.isolators);
  const granted = (ctx.devices ?? []).map(({ node, access }): OciDeviceRule => ({ allow: true, type: node.type, major: node.major, minor: node.minor, access }));
  const out: OciResources = { devices: [...DEVICE_RULES, ...granted] };
  if (limits.memoryBytes !== undefined) out.memory = { limit: limits.memoryBytes };
  if (limits.cpuQuotaUs !== undefined || limits.cpuShares !== undefined) {
    out.cpu = {};
    if (limits.cpuShares !== undefined) out.cpu.shares = limits.cpuShares;
    if (limits.cpuQuotaUs !== undefined) {
      out.cpu.quota = limits.cpuQuotaUs;
      out.cpu.period = CPU_PERIOD_US;
    }
  }
  return out;
}

function oomScoreAdj(plan: AppPlan, ctx: AppContext): number | undefined {
  const value = plan.isolators.oomScoreAdj;
  if (value === undefined) return undefined;
  if (value < ctx.minOomScoreAdj) {
    // runc would only say "can't get final child's PID from pipe: EOF".
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `apps[${plan.name}] ${ISOLATOR.oomScoreAdj}: ${value} is below the runtime's own (${ctx.minOomScoreAdj})`, {
      hint: `lowering oom_score_adj needs CAP_SYS_RESOURCE; give a value ≥ ${ctx.minOomScoreAdj}`,
    });
  }
  return value;
}

/** The app's process settings (also those of a command `enter` runs in it). */
export function appProcess(plan: AppPlan, ctx: AppContext): OciProcess {
  const process: OciProcess = {
    args: [...plan.exec],
    env: Object.entries(plan.env).map(([k, v]) => `${k}=${v}`),
    cwd: plan.cwd,
    user: { uid: plan.identity.uid, gid: plan.identity.gid },
    capabilities: capabilities(plan.capabilities, plan.identity.uid),
    noNewPrivileges: plan.isolators.noNewPrivileges === true,
  };
  if (appStdio(plan.app.annotations, plan.name).tty) process.terminal = true;
  if (ctx.maxOpenFiles !== undefined) {
    const openFiles = Math.min(DEFAULT_OPEN_FILES, ctx.maxOpenFiles);
    process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: openFiles, soft: openFiles }];
  }
  if (plan.identity.groups.length > 0) process.user.additionalGids = [...plan.identity.groups];
  const oom = oomScoreAdj(plan, ctx);
  if (oom !== undefined) process.oomScoreAdj = oom;
  return process;
}

export function appConfig(plan: AppPlan, ctx: AppContext): OciSpec {
  const seccomp = seccompProfile(plan.isolators, ctx.insecureOptions);
  return {
    ociVersion: OCI_VERSION,
    process: appProcess(plan, ctx),
    root: { path: plan.rootfs, readonly: plan.readOnlyRootFS },
    mounts: appMounts(plan, ctx),
    linux: {
      namespaces: appNamespaces(ctx),
      ...rootfsPropagation(plan),
      cgroupsPath: appCgroupsPath(ctx.uuid, plan.name, ctx.cgroupParent),
      resources: appResources(plan, ctx),
      ...(ctx.devices === undefined || ctx.devices.length === 0 ? {} : { devices: ctx.devices.map((d) => d.node) }),
      ...hardening(seccomp, ctx.insecureOptions, plan),
    },
    annotations: { [ANNOTATION_POD]: ctx.uuid, [ANNOTATION_APP]: plan.name, ...compiledSeccomp(seccomp, ctx.compiledSeccomp) },
  };
}

// ---------------------------------------------------------------- what runc cannot do

/** The pod annotation choosing the OCI runtime when --runtime is not given. */
export const RUNTIME_ANNOTATION = 'podstage.io/oci-runtime';

export function checkRuncSupport(m: PodManifest, o: Stage1CheckOptions): void {
  checkSeccompIsolators(m);
  hostNamespaces(m.annotations);
  checkPodSysctls(m, o);
  const runtime = o.ociRuntime ?? annotationValue(m.annotations, RUNTIME_ANNOTATION) ?? 'runc';
  if (runtime !== 'runc' && runtime !== 'crun') {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 runc: OCI runtime ${JSON.stringify(runtime)} is not supported`, { hint: 'use runc or crun' });
  }
}
