/**
 * A CRI PodSandboxConfig → podstage's prepare options for an empty mutable
 * pod: its stage1 (annotation, RuntimeClass handler, the server's default),
 * network, host name, DNS and port mappings. What cannot be honoured is
 * refused with the field's name.
 */
import { status } from '@grpc/grpc-js';
import { checkCgroupParent, HOST_NAMESPACES_ANNOTATION, SHARE_PID_ANNOTATION, SYSCTLS_ANNOTATION, type Annotation, type PortMapping } from '@podstage/contract';
import { STAGE1_ANNOTATIONS, type PodSpec, type PrepareOptions } from '@podstage/runtime';
import type { CriContext } from './context.js';
import { GrpcError } from '@podstage/grpc';
import type { NamespaceOption, PodSandboxConfig } from './messages.js';
import { SANDBOX_ANNOTATION, type SandboxRecord } from './records.js';

const invalid = (message: string) => new GrpcError(status.INVALID_ARGUMENT, message);

/**
 * First match wins: the pod's stage1 annotations (prepare reads them), the handler, the server's
 * default. A handler names a stage1 and, for one that runs an OCI runtime, which (`runc:crun`).
 */
function stage1Choice(ctx: CriContext, config: PodSandboxConfig, handler: string): Pick<PrepareOptions, 'stage1' | 'ociRuntime'> {
  if (STAGE1_ANNOTATIONS.some((key) => config.annotations[key] !== undefined)) return { stage1: {} };
  if (handler !== '') {
    const choice = ctx.handlers[handler];
    if (choice === undefined) throw invalid(`runtime_handler: no handler ${JSON.stringify(handler)} (known: ${Object.keys(ctx.handlers).join(', ')})`);
    const [name, ociRuntime] = choice.split(':') as [string, string | undefined];
    return { stage1: { name }, ...(ociRuntime === undefined ? {} : { ociRuntime }) };
  }
  return { stage1: ctx.defaultStage1 === undefined ? {} : { name: ctx.defaultStage1 } };
}

function portMappings(config: PodSandboxConfig): PortMapping[] {
  return config.port_mappings.filter((p) => p.host_port > 0).map((p, i) => {
    if (p.protocol !== 'TCP' && p.protocol !== 'UDP') throw new GrpcError(status.UNIMPLEMENTED, `config.port_mappings[${i}].protocol: ${p.protocol} is not supported`);
    return { hostPort: p.host_port, containerPort: p.container_port, protocol: p.protocol === 'TCP' ? 'tcp' : 'udp', ...(p.host_ip === '' ? {} : { hostIP: p.host_ip }) };
  });
}

/**
 * The pid and IPC namespaces (network is --net): NODE is the host's (hostPID, hostIPC; a stage1
 * that cannot share them refuses the pod); pid POD, the proto's default, one pid namespace for
 * the pod's containers, as containerd reads it; CONTAINER, one each.
 */
function namespaceAnnotations(ns: NamespaceOption | null): Annotation[] {
  if (ns === null) return [];
  const host = [...(ns.pid === 'NODE' ? ['pid'] : []), ...(ns.ipc === 'NODE' ? ['ipc'] : [])];
  return [
    ...(ns.pid === 'POD' ? [{ name: SHARE_PID_ANNOTATION, value: 'true' }] : []),
    ...(host.length > 0 ? [{ name: HOST_NAMESPACES_ANNOTATION, value: host.join(',') }] : []),
  ];
}

export interface SandboxPlan {
  spec: PodSpec;
  options: Omit<PrepareOptions, 'dataDir' | 'store' | 'stage1s' | 'fetch'>;
  record: SandboxRecord;
}

export function sandboxPlan(ctx: CriContext, config: PodSandboxConfig | null, handler: string): SandboxPlan {
  if (config === null || config.metadata === null || config.metadata.name === '') throw invalid('config.metadata.name: expected the sandbox\'s name');
  const ns = config.linux?.security_context?.namespace_options ?? null;
  const hostNetwork = ns?.network === 'NODE';
  const record: SandboxRecord = {
    metadata: { name: config.metadata.name, uid: config.metadata.uid, namespace: config.metadata.namespace, attempt: config.metadata.attempt },
    labels: config.labels, annotations: config.annotations, logDirectory: config.log_directory, runtimeHandler: handler, network: hostNetwork ? 'NODE' : 'POD',
    ...(config.linux?.security_context?.privileged === true ? { privileged: true } : {}),
  };
  const stage1Annotations = STAGE1_ANNOTATIONS.filter((key) => config.annotations[key] !== undefined).map((name) => ({ name, value: config.annotations[name]! }));
  const linuxAnnotations = namespaceAnnotations(ns);
  const sysctls = config.linux?.sysctls ?? {};
  // Set in the pod's namespaces by its stage1; one that is not namespaced, or would reach the host's, is refused there.
  if (Object.keys(sysctls).length > 0) linuxAnnotations.push({ name: SYSCTLS_ANNOTATION, value: JSON.stringify(sysctls) });
  const dns = config.dns_config;
  const ports = portMappings(config);
  // The kubelet's pod cgroup (its cgroupfs driver, which RuntimeConfig names): the pod's cgroup is made in it.
  const cgroupParent = config.linux?.cgroup_parent ?? '';
  if (cgroupParent !== '') checkCgroupParent(cgroupParent, 'config.linux.cgroup_parent');
  return {
    spec: { apps: [], volumes: [], isolators: [], env: {}, origins: {}, annotations: [...stage1Annotations, ...linuxAnnotations, { name: SANDBOX_ANNOTATION, value: JSON.stringify(record) }] },
    record,
    options: {
      ...stage1Choice(ctx, config, handler),
      mutable: true,
      net: hostNetwork ? 'host' : 'default',
      configDir: ctx.configDir,
      stdout: 'log',
      stderr: 'log',
      ...(ports.length > 0 ? { portMappings: ports } : {}),
      ...(config.hostname === '' ? {} : { hostname: config.hostname }),
      ...(cgroupParent === '' ? {} : { cgroupParent }),
      ...(dns === null || (dns.servers.length === 0 && dns.searches.length === 0 && dns.options.length === 0)
        ? {} : { dns: { servers: dns.servers, searches: dns.searches, options: dns.options } }),
    },
  };
}
