/**
 * What a pod's guest boots: QEMU, a kernel and an initramfs, chosen by
 * annotation and checked before anything is written (stage1 check) and again
 * at run.
 *   podstage.io/kvm-kernel   `debian` (default: build/guest), `minimal`
 *                            (build/guest-minimal), or a path to an uncompressed vmlinux
 *   podstage.io/kvm-initrd   a path (default: build/guest/initrd.cpio)
 *   podstage.io/kvm-cmdline  added to the kernel command line
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { annotationValue, PodstageError, type PodManifest } from '@podstage/contract';
import { hostTscKhz } from './host-tsc.js';
import { CMDLINE_ANNOTATION, INITRD_ANNOTATION, KERNEL_ANNOTATION, kernelCmdline } from './translate.js';

export const QEMU = '/usr/bin/qemu-system-x86_64';
const installRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const DEFAULT_GUEST_DIR = join(installRoot, 'build', 'guest');
/** `build-guest.js build/guest --minimal-kernel build/guest-minimal` (scripts/setup.sh). */
export const MINIMAL_KERNEL_DIR = join(installRoot, 'build', 'guest-minimal');

function requireFile(path: string, what: string, hint = 'scripts/setup.sh builds the guests (build/guest, build/guest-minimal)'): string {
  if (!existsSync(path)) throw new PodstageError('ERR_PODSTAGE_HOST', `stage1 kvm: ${what} ${path} is missing`, { hint });
  return path;
}

export interface GuestBoot {
  kernel: string;
  initrd: string;
  cmdline: string;
  /**
   * microvm's ACPI tables: Debian's kernel finds its virtio-mmio devices there (its
   * virtio_mmio takes no device list); the minimal kernel has no ACPI and gets the list on
   * its command line from QEMU instead. Other kernels are treated like Debian's.
   */
  acpi: boolean;
}

export function guestBoot(m: PodManifest): GuestBoot {
  requireFile(QEMU, 'QEMU', 'apt-get install qemu-system-x86 (scripts/setup.sh does)');
  const chosen = annotationValue(m.annotations, KERNEL_ANNOTATION) ?? 'debian';
  const kernel = chosen === 'debian' ? requireFile(join(DEFAULT_GUEST_DIR, 'vmlinux'), 'guest kernel')
    : chosen === 'minimal' ? requireFile(join(MINIMAL_KERNEL_DIR, 'vmlinux'), 'minimal guest kernel')
      : requireFile(chosen, `annotation ${KERNEL_ANNOTATION}: guest kernel`, 'give `debian`, `minimal` or the path of an uncompressed vmlinux');
  const custom = annotationValue(m.annotations, INITRD_ANNOTATION);
  const initrd = custom === undefined ? requireFile(join(DEFAULT_GUEST_DIR, 'initrd.cpio'), 'guest initramfs') : requireFile(custom, `annotation ${INITRD_ANNOTATION}: initramfs`, 'give the path of an initramfs (cpio)');
  return { kernel, initrd, cmdline: kernelCmdline(hostTscKhz(), annotationValue(m.annotations, CMDLINE_ANNOTATION)), acpi: chosen !== 'minimal' };
}
