/** Linux capability names in kernel order (index = capability number). */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type Capability = (typeof CAPABILITIES)[number];

/**
 * The set an app gets when no capabilities isolator says otherwise: rkt's and
 * Docker's default, enough for ordinary daemons and nothing that reaches the host.
 */
export const DEFAULT_CAPABILITIES: readonly Capability[] = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETFCAP',
  'CAP_SYS_CHROOT',
];

export function isCapability(name: string): name is Capability {
  return (CAPABILITIES as readonly string[]).includes(name);
}

/**
 * The bounding set an app runs with: retain-set replaces the default, remove-set
 * takes away from it; `all` (insecure-options=capabilities) starts from every cap.
 */
export function effectiveCapabilities(
  retain: readonly string[] | undefined,
  remove: readonly string[] | undefined,
  unrestricted = false,
): Capability[] {
  let set: Capability[];
  if (retain !== undefined) set = retain.filter(isCapability);
  else set = unrestricted ? [...CAPABILITIES] : [...DEFAULT_CAPABILITIES];
  if (remove !== undefined) set = set.filter((c) => !remove.includes(c));
  return set;
}

/**
 * The capabilities in this process's bounding set (/proc/self/status CapBnd): what a privileged
 * container, or one that adds ALL, can hold on this host, as containerd grants it.
 */
export function boundingCapabilities(status: string): Capability[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return [...CAPABILITIES];
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
