/**
 * The podstage variants a scenario runs: one per stage1, crun as the runc
 * stage1's other OCI runtime, kvm once per guest kernel, and `cni`: runc on the
 * default CNI network, whose difference to runc is the network's set-up. The
 * others pin the network (host's, none for kvm) so they measure the isolation
 * alone, as the peers do (podman --network none).
 */
import { spawnSync } from 'node:child_process';

export const STAGE1_NAMES = ['fly', 'host', 'runc', 'crun', 'cni', 'kvm'] as const;

export interface PodstageTarget {
  /** podstage-fly, -host, -runc, -crun, -runc-cni, -kvm-debian, -kvm-minimal. */
  id: string;
  label: string;
  /** Pod flags of `podstage run` that choose it. */
  podFlags: string[];
  /** The baseline that runs the same isolation without podstage (its stage0 overhead is the difference). */
  rawIsolator: string;
}

const KERNELS = ['debian', 'minimal'];

const RAW_ISOLATORS: Record<string, string> = { fly: 'chroot', host: 'nspawn', runc: 'runc' };

export function podstageTargets(stage1s: readonly string[]): PodstageTarget[] {
  return stage1s.flatMap((s): PodstageTarget[] => {
    if (s === 'crun') return [{ id: 'podstage-crun', label: 'podstage (runc stage1, crun)', podFlags: ['--stage1-name=runc', '--runtime=crun', '--net=host'], rawIsolator: 'runc' }];
    if (s === 'cni') return [{ id: 'podstage-runc-cni', label: 'podstage (runc, default network)', podFlags: ['--stage1-name=runc', '--net=default'], rawIsolator: 'runc' }];
    if (s === 'kvm') {
      return KERNELS.map((k) => ({ id: `podstage-kvm-${k}`, label: `podstage (kvm, ${k} kernel)`, podFlags: ['--stage1-name=kvm', '--net=none', `--annotation=podstage.io/kvm-kernel=${k}`], rawIsolator: `qemu-${k}` }));
    }
    return [{ id: `podstage-${s}`, label: `podstage (${s})`, podFlags: [`--stage1-name=${s}`, '--net=host'], rawIsolator: RAW_ISOLATORS[s] ?? 'chroot' }];
  });
}

export const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
