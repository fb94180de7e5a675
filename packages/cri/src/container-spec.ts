/**
 * A CRI ContainerConfig → the one-app request podstage's runtime adds to the
 * sandbox. What cannot be honoured is refused with the field's name.
 */
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import {
  boundingCapabilities, CAPABILITIES, DEFAULT_CAPABILITIES, DEVICES_ANNOTATION, isPlainAbsolutePath, ISOLATOR, LOG_PATH_ANNOTATION, MASKED_PATHS_ANNOTATION, PID_NAMESPACE_OF_ANNOTATION, READONLY_PATHS_ANNOTATION, SECCOMP_ALL_SYSCALLS, STDIN_ANNOTATION, TTY_ANNOTATION, type Annotation, type Capability, type Isolator, type Mount, type Volume,
} from '@podstage/contract';
import { cpuIsolator, memoryIsolator, type PodRequest } from '@podstage/runtime';
import { GrpcError } from '@podstage/grpc';
import { mountPropagationOf, type MountPropagation } from '@podstage/linux';
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext } from './messages.js';
import { CONTAINER_ANNOTATION, type ContainerRecord } from './records.js';
import { volumeName } from './app-name.js';
import { localhostSeccomp } from './seccomp-profile.js';
import type { SeccompWhenEmpty } from './context.js';

const invalid = (message: string) => new GrpcError(status.INVALID_ARGUMENT, message);

/** What this host lets a container hold: the server's own bounding set. */
let held: Capability[] | undefined;
const heldCapabilities = (): Capability[] => (held ??= boundingCapabilities(readFileSync('/proc/self/status', 'utf8')));

/** CRI capability names come with or without CAP_, any case; ALL means every one (to add: every one this host has). */
function capabilityNames(field: string, names: string[], all: readonly Capability[]): string[] {
  return names.flatMap((n) => {
    const upper = n.toUpperCase();
    if (upper === 'ALL') return [...all];
    const cap = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    if (!(CAPABILITIES as readonly string[]).includes(cap)) throw invalid(`${field}: unknown capability ${JSON.stringify(n)}`);
    return [cap];
  });
}

/**
 * A privileged container holds every capability and no seccomp filter, in a privileged sandbox
 * only (containerd's rule). What stays: its own namespaces, masked /proc and /sys paths, and
 * runc's device allowlist.
 */
function privilegedIsolators(sandboxPrivileged: boolean): Isolator[] {
  if (!sandboxPrivileged) {
    throw new GrpcError(status.PERMISSION_DENIED, 'config.linux.security_context.privileged: a privileged container needs a privileged sandbox (its linux.security_context.privileged)');
  }
  return [{ name: ISOLATOR.capsRetain, value: { set: heldCapabilities() } }, { name: ISOLATOR.seccompRetain, value: { set: [SECCOMP_ALL_SYSCALLS] } }];
}

function securityIsolators(sc: LinuxContainerSecurityContext | null, sandboxPrivileged: boolean, whenEmpty: SeccompWhenEmpty): Isolator[] {
  if (sc === null) return whenEmpty === 'Unconfined' ? [UNCONFINED] : [];
  if ((sc.capabilities?.add_ambient_capabilities ?? []).length > 0) {
    throw new GrpcError(status.UNIMPLEMENTED, 'config.linux.security_context.capabilities.add_ambient_capabilities: ambient capabilities are not given (an app\'s ambient set stays empty)');
  }
  if (sc.privileged) return [...privilegedIsolators(sandboxPrivileged), ...(sc.no_new_privs ? [{ name: ISOLATOR.noNewPrivileges, value: true }] : [])];
  const isolators: Isolator[] = [];
  const add = capabilityNames('config.linux.security_context.capabilities.add_capabilities', sc.capabilities?.add_capabilities ?? [], heldCapabilities());
  const drop = capabilityNames('config.linux.security_context.capabilities.drop_capabilities', sc.capabilities?.drop_capabilities ?? [], CAPABILITIES);
  if (add.length > 0) {
    const retain = [...new Set([...DEFAULT_CAPABILITIES, ...add])].filter((c) => !drop.includes(c));
    isolators.push({ name: ISOLATOR.capsRetain, value: { set: retain } });
  } else if (drop.length > 0) {
    isolators.push({ name: ISOLATOR.capsRemove, value: { set: drop } });
  }
  if (sc.no_new_privs) isolators.push({ name: ISOLATOR.noNewPrivileges, value: true });
  isolators.push(...seccompIsolators(sc, whenEmpty));
  return isolators;
}

/** Unconfined (the kubelet's default when a pod names no profile) retains every call: a filter that allows all. */
const UNCONFINED: Isolator = { name: ISOLATOR.seccompRetain, value: { set: [SECCOMP_ALL_SYSCALLS] } };

/**
 * The container's seccomp profile: `seccomp` (RuntimeDefault, Unconfined, Localhost), or the
 * deprecated `seccomp_profile_path` (runtime/default, docker/default, unconfined, localhost/PATH)
 * that older kubelets and crictl configs send. RuntimeDefault is podstage's default: no isolator.
 * Neither given: `whenEmpty` (the server's --seccomp-when-empty).
 */
function seccompIsolators(sc: LinuxContainerSecurityContext, whenEmpty: SeccompWhenEmpty): Isolator[] {
  const field = 'config.linux.security_context.seccomp';
  if (sc.seccomp !== null) {
    if (sc.seccomp.profile_type === 'Localhost') return [localhostSeccomp(sc.seccomp.localhost_ref, `${field}.localhost_ref`)];
    return sc.seccomp.profile_type === 'Unconfined' ? [UNCONFINED] : [];
  }
  const path = sc.seccomp_profile_path;
  if (path === '') return whenEmpty === 'Unconfined' ? [UNCONFINED] : [];
  if (path === 'runtime/default' || path === 'docker/default') return [];
  if (path === 'unconfined') return [UNCONFINED];
  if (path.startsWith('localhost/')) return [localhostSeccomp(path.slice('localhost/'.length), `${field}_profile_path`)];
  throw invalid(`${field}_profile_path: expected runtime/default, docker/default, unconfined or localhost/<path>, got ${JSON.stringify(path)}`);
}

function resourceIsolators(r: LinuxContainerResources | null): Isolator[] {
  if (r === null) return [];
  const isolators: Isolator[] = [];
  const memory = Number(r.memory_limit_in_bytes);
  if (memory > 0) isolators.push(memoryIsolator(String(memory)));
  const quota = Number(r.cpu_quota);
  const period = Number(r.cpu_period);
  if (quota > 0 && period > 0) isolators.push(cpuIsolator(`${Math.ceil((quota * 1000) / period)}m`));
  return isolators;
}

function identity(sc: LinuxContainerSecurityContext | null): { user?: string; group?: string; supplementaryGids?: number[] } {
  if (sc === null) return {};
  const user = sc.run_as_user !== null ? sc.run_as_user.value : sc.run_as_username !== '' ? sc.run_as_username : undefined;
  const group = sc.run_as_group !== null ? sc.run_as_group.value : undefined;
  if (group !== undefined && user === undefined) throw invalid('config.linux.security_context.run_as_group: needs run_as_user or run_as_username');
  const gids = sc.supplemental_groups.map(Number);
  return { ...(user === undefined ? {} : { user }), ...(group === undefined ? {} : { group }), ...(gids.length > 0 ? { supplementaryGids: gids } : {}) };
}

/**
 * HostToContainer is rslave, Bidirectional rshared; the host path must be on a mount that can
 * propagate that way (containerd's check): shared for Bidirectional, shared or slave for HostToContainer.
 */
function propagation(m: ContainerConfig['mounts'][number], i: number): Pick<Volume, 'propagation'> {
  if (m.propagation === 'PROPAGATION_PRIVATE') return {};
  const wanted = m.propagation === 'PROPAGATION_BIDIRECTIONAL' ? 'rshared' : m.propagation === 'PROPAGATION_HOST_TO_CONTAINER' ? 'rslave' : undefined;
  if (wanted === undefined) throw invalid(`config.mounts[${i}].propagation: unknown mode ${m.propagation}`);
  let have: MountPropagation;
  try {
    have = mountPropagationOf(m.host_path);
  } catch (e) {
    throw new GrpcError(status.NOT_FOUND, `config.mounts[${i}].host_path: ${m.host_path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (have === 'private' || (wanted === 'rshared' && have !== 'shared')) {
    throw new GrpcError(status.FAILED_PRECONDITION, `config.mounts[${i}].propagation: ${m.propagation} needs ${m.host_path} on a ${wanted === 'rshared' ? 'shared' : 'shared or slave'} mount, it is on a ${have} one`);
  }
  return { propagation: wanted };
}

/** What Status does not advertise (image volumes, id-mapped and recursive read-only mounts) is UNIMPLEMENTED, which the kubelet and critest read as unsupported. */
function unsupportedMountFields(m: ContainerConfig['mounts'][number], i: number): void {
  const unsupported = (field: string, what: string) => new GrpcError(status.UNIMPLEMENTED, `config.mounts[${i}].${field}: ${what} are not supported by podstage`);
  if ((m.image?.image ?? '') !== '') throw unsupported('image', 'image volumes');
  if (m.uidMappings.length > 0 || m.gidMappings.length > 0) throw unsupported('uidMappings', 'id-mapped mounts');
  if (m.recursive_read_only) throw unsupported('recursive_read_only', 'recursive read-only mounts');
}

/** Host paths become host volumes of the pod, mounted where the container asks. */
function mounts(config: ContainerConfig, app: string): { volumes: Volume[]; mounts: Mount[] } {
  const volumes: Volume[] = [];
  const out: Mount[] = [];
  config.mounts.forEach((m, i) => {
    unsupportedMountFields(m, i);
    if (!m.host_path.startsWith('/') || !m.container_path.startsWith('/')) throw invalid(`config.mounts[${i}]: expected absolute host_path and container_path`);
    const name = volumeName(app, i);
    volumes.push({ name, kind: 'host', source: m.host_path, ...(m.readonly ? { readOnly: true } : {}), ...propagation(m, i) });
    out.push({ volume: name, path: m.container_path, ...(m.readonly ? { readOnly: true } : {}) });
  });
  return { volumes, mounts: out };
}

/** Host devices (stage1 runc makes the nodes and allows them in the app's device cgroup; host and kvm refuse them). */
function devicesAnnotation(config: ContainerConfig): Annotation[] {
  if ((config.CDI_devices ?? []).length > 0) throw new GrpcError(status.UNIMPLEMENTED, 'config.CDI_devices: CDI devices are not resolved by podstage; give devices (host paths)');
  if (config.devices.length === 0) return [];
  const devices = config.devices.map((d) => ({ path: d.container_path, hostPath: d.host_path, permissions: d.permissions }));
  return [{ name: DEVICES_ANNOTATION, value: JSON.stringify(devices) }];
}

/**
 * The kubelet's masked and read-only paths replace the stage1's (runc's) lists; none given keeps
 * those, as containerd does (the proto cannot tell an empty list from none).
 */
function hardenedPathsAnnotations(sc: LinuxContainerSecurityContext | null): Annotation[] {
  const out: Annotation[] = [];
  const check = (field: string, paths: string[]) => paths.forEach((p, i) => {
    if (!isPlainAbsolutePath(p)) throw invalid(`config.linux.security_context.${field}[${i}]: expected an absolute path without "..", got ${JSON.stringify(p)}`);
  });
  for (const [field, name, paths] of [['masked_paths', MASKED_PATHS_ANNOTATION, sc?.masked_paths ?? []], ['readonly_paths', READONLY_PATHS_ANNOTATION, sc?.readonly_paths ?? []]] as const) {
    check(field, paths);
    if (paths.length > 0) out.push({ name, value: JSON.stringify(paths) });
  }
  return out;
}

/** stdin (kept open across attaches unless stdin_once) and a terminal, which the app's monitor holds for Attach. */
function stdioAnnotations(config: ContainerConfig): Annotation[] {
  return [
    ...(config.stdin ? [{ name: STDIN_ANNOTATION, value: config.stdin_once ? 'once' : 'stream' }] : []),
    ...(config.tty ? [{ name: TTY_ANNOTATION, value: 'true' }] : []),
  ];
}

/** `logFile`: where the kubelet reads the container's log (conmon writes it there). */
export function containerRequest(
  config: ContainerConfig, app: string, record: ContainerRecord, o: { logFile?: string | undefined; sandboxPrivileged?: boolean; pidTarget?: string; seccompWhenEmpty?: SeccompWhenEmpty | undefined } = {},
): PodRequest {
  const logFile = o.logFile;
  const image = config.image?.image ?? '';
  if (image === '') throw invalid('config.image.image: expected an image reference');
  const sc = config.linux?.security_context ?? null;
  const [first, ...rest] = config.command;
  // A terminal comes with TERM=xterm unless the container sets its own, as containerd and CRI-O do.
  const env = { ...(config.tty ? { TERM: 'xterm' } : {}), ...Object.fromEntries(config.envs.map((e) => [e.key, e.value])) };
  const { volumes, mounts: appMounts } = mounts(config, app);
  return {
    apps: [{
      image,
      name: app,
      ...(first === undefined ? (config.args.length > 0 ? { args: config.args } : {}) : { exec: first, args: [...rest, ...config.args] }),
      env,
      ...identity(sc),
      ...(config.working_dir === '' ? {} : { workingDir: config.working_dir }),
      mounts: appMounts,
      ...(sc?.readonly_rootfs === true ? { readOnlyRootFS: true } : {}),
      isolators: [...securityIsolators(sc, o.sandboxPrivileged === true, o.seccompWhenEmpty ?? 'RuntimeDefault'), ...resourceIsolators(config.linux?.resources ?? null)],
      annotations: [
        { name: CONTAINER_ANNOTATION, value: JSON.stringify(record) },
        ...(logFile === undefined ? [] : [{ name: LOG_PATH_ANNOTATION, value: logFile }]),
        ...stdioAnnotations(config),
        ...(o.pidTarget === undefined ? [] : [{ name: PID_NAMESPACE_OF_ANNOTATION, value: o.pidTarget }]),
        ...devicesAnnotation(config),
        ...hardenedPathsAnnotations(sc),
      ],
      origins: {},
    }],
    volumes,
    annotations: [],
    isolators: [],
    env: {},
    origins: {},
  };
}
