/**
 * Which accelerator QEMU gets, probed, never assumed: hardware KVM where
 * /dev/kvm opens and is not PVM (paravirtual KVM runs only PVM-enabled guest
 * kernels; stock Debian kernels die in its emulator), TCG otherwise.
 */
import { closeSync, existsSync, openSync } from 'node:fs';

export interface Accelerator {
  accel: 'kvm' | 'tcg';
  cpu: 'host' | 'qemu64';
  reason: string;
}

export function detectAccelerator(): Accelerator {
  if (existsSync('/sys/module/kvm_pvm')) return { accel: 'tcg', cpu: 'qemu64', reason: '/dev/kvm is PVM (kvm_pvm), which cannot run a stock guest kernel' };
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return { accel: 'kvm', cpu: 'host', reason: '/dev/kvm opens' };
  } catch (err) {
    return { accel: 'tcg', cpu: 'qemu64', reason: `/dev/kvm: ${(err as NodeJS.ErrnoException).code ?? 'unusable'}` };
  }
}
