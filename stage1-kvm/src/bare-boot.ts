/**
 * QEMU booting a guest kernel with the stage1's initramfs exactly as a pod's
 * guest boots, but whose init is `busybox true`: the guest exits as soon as it
 * has booted (init exits, the kernel panics, panic=-1 resets, -no-reboot ends
 * QEMU). The bench's raw-isolator baseline for kvm, and a boot check.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { POD_MANIFEST_API_VERSION, POD_MANIFEST_KIND } from '@podstage/contract';
import { detectAccelerator } from './accel.js';
import { DEFAULT_GUEST_DIR, MINIMAL_KERNEL_DIR, QEMU } from './guest-boot.js';
import { hostTscKhz } from './host-tsc.js';
import { guestResources, kernelCmdline, machineArgs } from './translate.js';

/** The guest kernels by annotation value (podstage.io/kvm-kernel), as guest-boot.ts resolves them. */
const KERNELS = { debian: { dir: DEFAULT_GUEST_DIR, acpi: true }, minimal: { dir: MINIMAL_KERNEL_DIR, acpi: false } };

/** The argv per built guest kernel (absent when a kernel is not built). */
export function bareBoots(): Record<string, string[] | undefined> {
  const initrd = join(DEFAULT_GUEST_DIR, 'initrd.cpio');
  // A pod of one app without limits gets this guest size.
  const { memMiB, cpus } = guestResources({ apiVersion: POD_MANIFEST_API_VERSION, kind: POD_MANIFEST_KIND, apps: [] });
  const accel = detectAccelerator();
  return Object.fromEntries(Object.entries(KERNELS).map(([name, k]) => {
    const kernel = join(k.dir, 'vmlinux');
    if (!existsSync(kernel) || !existsSync(initrd) || !existsSync(QEMU)) return [name, undefined];
    return [name, [QEMU, ...machineArgs({ kernel, initrd, acpi: k.acpi, accel, memMiB, cpus, cmdline: kernelCmdline(hostTscKhz(), 'rdinit=/bin/busybox -- true') })]];
  }));
}
