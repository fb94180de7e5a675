/**
 * The guest's /init (busybox sh, in the initramfs): load the virtio, 9p and
 * virtio-serial modules (busybox insmod does not read module parameters from
 * the kernel command line, so virtio_mmio's device list is passed by hand),
 * mount cgroup v2 for the apps' resource limits,
 * mount the two 9p shares (the pod's apps read-only at /pod, with each app's
 * writable root inside; the output directory at /out), bring loopback up, run
 * the agent until the host says halt, and always end with a reboot, which
 * makes QEMU (-no-reboot) exit.
 */
export const GUEST_MODULES = ['virtio_ring', 'virtio', 'virtio_mmio', 'virtio_console', 'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p'] as const;

/** 9p mount tags (translate.ts exports the host directories under them). */
export const POD_TAG = 'pod';
export const OUTPUT_TAG = 'out';

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# cgroup v2 with the memory, cpu and pids controllers for the apps' own cgroups (translate.ts).
mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo '+memory +cpu +pids' > /sys/fs/cgroup/cgroup.subtree_control
ip link set lo up
mmio=$(tr ' ' '\\n' < /proc/cmdline | sed -n 's/^virtio_mmio\\.device=/device=/p')
for m in ${GUEST_MODULES.join(' ')}; do
  if [ "$m" = virtio_mmio ]; then insmod /lib/modules/$m.ko $mmio; else insmod /lib/modules/$m.ko; fi || echo "podstage guest: insmod $m failed" >&2
done
mkdir -p /out
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ${POD_TAG} /pod && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ${OUTPUT_TAG} /out; then
  /bin/podstage-agent
else
  echo "podstage guest: cannot mount the pod's 9p shares" >&2
fi
sync
# podstage.nohalt on the kernel command line keeps a guest up after its apps (debugging);
# the host then stops it after its halt timeout.
grep -qw podstage.nohalt /proc/cmdline && while :; do sleep 3600; done
reboot -f
`;
