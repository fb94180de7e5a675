/** The machine a report was measured on: results mean little without it. */
import { existsSync } from 'node:fs';
import si from 'systeminformation';

export interface HostFacts {
  cpu: string;
  cores: number;
  memoryMiB: number;
  os: string;
  kernel: string;
  virtual: boolean;
  cgroups: 'v1 (hybrid)' | 'v1' | 'v2';
  /** The accelerator stage1-kvm chooses here, and why (given by the caller, which knows the stage1s). */
  kvm: string;
  node: string;
  /** Environment variables that change Node's start-up (e.g. NODE_EXTRA_CA_CERTS), by name. */
  nodeEnv: string[];
}

function cgroupMode(): HostFacts['cgroups'] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'v2';
  return existsSync('/sys/fs/cgroup/unified') ? 'v1 (hybrid)' : 'v1';
}

export async function hostFacts(kvm: string): Promise<HostFacts> {
  const [cpu, mem, os, system] = await Promise.all([si.cpu(), si.mem(), si.osInfo(), si.system()]);
  return {
    cpu: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    cores: cpu.cores,
    memoryMiB: Math.round(mem.total / 1024 / 1024),
    os: `${os.distro} ${os.release}`.trim(),
    kernel: os.kernel,
    virtual: system.virtual,
    cgroups: cgroupMode(),
    kvm,
    node: process.version,
    nodeEnv: Object.keys(process.env).filter((k) => k.startsWith('NODE_')).sort(),
  };
}
