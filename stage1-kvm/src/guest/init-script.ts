/**
 * The guest's /init (busybox sh, in the initramfs): load the virtio and 9p
 * modules (busybox insmod does not read module parameters from the kernel
 * command line, so virtio_mmio's device list is passed by hand), mount the pod
 * directory shared over 9p, bring loopback up, run the pod script stage1 wrote there, and always
 * end with a reboot, which makes QEMU (-no-reboot) exit.
 */
export const GUEST_MODULES = ['virtio_ring', 'virtio', 'virtio_mmio', 'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p'] as const;

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
ip link set lo up
mmio=$(tr ' ' '\\n' < /proc/cmdline | sed -n 's/^virtio_mmio\\.device=/device=/p')
for m in ${GUEST_MODULES.join(' ')}; do
  if [ "$m" = virtio_mmio ]; then insmod /lib/modules/$m.ko $mmio; else insmod /lib/modules/$m.ko; fi || echo "podstage guest: insmod $m failed" >&2
done
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 pod /pod; then
  sh /pod/stage1/kvm/pod.sh
else
  echo "podstage guest: cannot mount the pod directory over 9p" >&2
fi
# podstage.nohalt on the kernel command line keeps a guest up after its apps (debugging);
# the host then stops it after its halt timeout.
grep -qw podstage.nohalt /proc/cmdline && while :; do sleep 3600; done
reboot -f
`;
