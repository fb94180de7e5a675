/** The runtime.v1 messages the server reads, as proto-loader decodes them (field names as in api.proto, int64 as strings, enums by name). */
export type Labels = Record<string, string>;

export interface Int64Value { value: string }
export interface KeyValue { key: string; value: string }
export interface NamespaceOption { network: string; pid: string; ipc: string; target_id: string }
export interface SecurityProfile { profile_type: string; localhost_ref: string }
export interface PortMapping { protocol: string; container_port: number; host_port: number; host_ip: string }
export interface CriMount {
  container_path: string; host_path: string; readonly: boolean; selinux_relabel: boolean; propagation: string;
  uidMappings: unknown[]; gidMappings: unknown[]; recursive_read_only: boolean; image: { image: string } | null; image_sub_path: string;
}

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  hostname: string;
  log_directory: string;
  dns_config: { servers: string[]; searches: string[]; options: string[] } | null;
  port_mappings: PortMapping[];
  labels: Labels;
  annotations: Labels;
  linux: {
    cgroup_parent: string;
    sysctls: Labels;
    security_context: { namespace_options: NamespaceOption | null; privileged: boolean } | null;
  } | null;
}

export interface LinuxContainerSecurityContext {
  capabilities: { add_capabilities: string[]; drop_capabilities: string[]; add_ambient_capabilities: string[] } | null;
  privileged: boolean;
  namespace_options: NamespaceOption | null;
  run_as_user: Int64Value | null;
  run_as_group: Int64Value | null;
  run_as_username: string;
  readonly_rootfs: boolean;
  supplemental_groups: string[];
  no_new_privs: boolean;
  masked_paths: string[];
  readonly_paths: string[];
  seccomp: SecurityProfile | null;
  seccomp_profile_path: string;
}

export interface LinuxContainerResources { cpu_period: string; cpu_quota: string; cpu_shares: string; memory_limit_in_bytes: string; oom_score_adj: string }

export interface ContainerConfig {
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  command: string[];
  args: string[];
  working_dir: string;
  envs: KeyValue[];
  mounts: CriMount[];
  devices: { container_path: string; host_path: string; permissions: string }[];
  CDI_devices?: { name: string }[];
  labels: Labels;
  annotations: Labels;
  log_path: string;
  stdin: boolean;
  stdin_once: boolean;
  tty: boolean;
  linux: { resources: LinuxContainerResources | null; security_context: LinuxContainerSecurityContext | null } | null;
}
