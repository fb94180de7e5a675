/**
 * The guest's /init (busybox sh, in the initramfs): load the virtio, 9p and
 * virtio-serial modules (the virtio-mmio devices are found through microvm's
 * ACPI tables), move to a tmpfs root, mount cgroup v2 for the apps' resource limits,
 * mount the two 9p shares (the pod's apps read-only at /pod, with each app's
 * writable root inside; the output directory at /out), bring loopback up, run
 * the agent until the host says halt, and always end with a reboot, which
 * makes QEMU (-no-reboot) exit.
 */
export const GUEST_MODULES = ['virtio_ring', 'virtio', 'virtio_mmio', 'virtio_console', 'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p', 'failover', 'net_failover', 'virtio_net'] as const;

/** The guest's own run-time files: app scripts, pid files, seccomp programs (agent and translate.ts). */
export const GUEST_RUN_DIR = '/run/podstage';
/** Each app's cgroup in the guest (v2, directly under the root: the root may hold processes). */
export const guestCgroup = (app: string) => `/sys/fs/cgroup/app-${app}`;
/** One tmpfs per guest, every app's /dev/shm, as in a Kubernetes pod. */
export const GUEST_SHM = `${GUEST_RUN_DIR}/shm`;

/** 9p mount tags (translate.ts exports the host directories under them). */
export const POD_TAG = 'pod';
export const OUTPUT_TAG = 'out';

/** Marks the tmpfs root the guest moves into (below). */
const ROOT_MARK = '/.podstage-root';

export const INIT_SCRIPT = `#!/bin/busybox sh
# First leave the initramfs for a tmpfs copy of it: the initramfs (rootfs) can never be
# pivoted away from, and an app's own mount namespace must pivot_root into the app's root
# (guest/exec-app.c) so that nothing of the guest stays reachable from it. switch_root
# empties the initramfs and runs this script again from the copy.
if [ ! -e ${ROOT_MARK} ]; then
  # Modules only for the kernel they were built for (Debian's); a minimal kernel has it all built in.
  # Loaded from the initramfs, so the copy leaves them out (a boot under TCG pays for every byte).
  if [ "$(/bin/busybox uname -r)" = "$(/bin/busybox cat /lib/modules/release)" ]; then
    for m in ${GUEST_MODULES.join(' ')}; do
      /bin/busybox insmod /lib/modules/$m.ko || echo "podstage guest: insmod $m failed" >&2
    done
  fi
  /bin/busybox mount -t tmpfs -o mode=755 root /mnt && /bin/busybox cp -a /bin /init /mnt/ &&
    /bin/busybox mkdir /mnt/proc /mnt/sys /mnt/dev /mnt/pod && /bin/busybox touch /mnt${ROOT_MARK} &&
    exec /bin/busybox switch_root /mnt /init
  echo "podstage guest: cannot move to a tmpfs root; apps will not start" >&2
fi
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# Terminals for exec -t (podstage-tty opens /dev/ptmx, which allocates here).
mkdir -p /dev/pts && mount -t devpts -o mode=0620,ptmxmode=0666 devpts /dev/pts
# cgroup v2 with the memory, cpu and pids controllers for the apps' own cgroups (translate.ts).
mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo '+memory +cpu +pids' > /sys/fs/cgroup/cgroup.subtree_control
ip link set lo up
# The pod's host name (podstage.hostname= on the kernel command line, from the host's driver.ts).
# Its CNI address (podstage.ip=, podstage.gw=): the guest's eth0 has the MAC of the pod's eth0, whose
# traffic the host mirrors to and from the VM's tap (stage1-kvm's driver.ts).
addr= gw=
for word in $(cat /proc/cmdline); do
  case $word in
    podstage.hostname=*) hostname "\${word#podstage.hostname=}" ;;
    podstage.ip=*) addr=\${word#podstage.ip=} ;;
    podstage.gw=*) gw=\${word#podstage.gw=} ;;
  esac
done
if [ -n "$addr" ]; then
  { ip link set eth0 up && ip addr add "$addr" dev eth0 && { [ -z "$gw" ] || ip route add default via "$gw"; }; } || echo "podstage guest: cannot configure eth0 with $addr" >&2
fi
# The pod's /dev/shm, shared by its apps (translate.ts binds it into each).
mkdir -p ${GUEST_SHM} && mount -t tmpfs -o mode=1777,nosuid,nodev,noexec,size=65536k shm ${GUEST_SHM}
mkdir -p /out
# Devices may still be probing (more than one vCPU): give the shares a moment to appear.
share() {
  for i in $(seq 50); do
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$1" "$2"
}
if share ${POD_TAG} /pod && share ${OUTPUT_TAG} /out; then
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
